"""Fake OpenAI/Anthropic HTTP server: the test double and the offline "Local demo model"."""

from gateway.fake_llm.server import FAULT_KINDS, FakeLLMServer, Fault, RecordedRequest

__all__ = ["FAULT_KINDS", "FakeLLMServer", "Fault", "RecordedRequest"]
