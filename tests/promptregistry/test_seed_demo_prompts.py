import pytest
from django.core.management import CommandError, call_command

from promptregistry import serving
from promptregistry.models import Prompt
from tests.promptregistry.factories import principal_for


def test_it_gives_the_workspace_example_prompts_that_render(alice, acme):
    call_command("seed_demo_prompts", workspace="acme")

    assert sorted(Prompt.objects.filter(workspace=acme).values_list("name", flat=True)) == [
        "onboarding/welcome-email",
        "shared/tone",
        "support/triage",
    ]
    served = serving.serve(principal_for(acme), "support/triage", label="production")
    messages = serving.render_served(
        served, {"company": "Acme", "ticket": "My card was charged twice"}, {"history": []}
    )
    assert "Write warmly and plainly" in messages[0]["content"]
    assert messages[-1] == {"role": "user", "content": "My card was charged twice"}


def test_running_it_again_adds_nothing(alice, acme):
    call_command("seed_demo_prompts", workspace="acme")
    call_command("seed_demo_prompts", workspace="acme")

    assert Prompt.objects.filter(workspace=acme).count() == 3


@pytest.mark.django_db
def test_an_unknown_workspace_is_an_error():
    with pytest.raises(CommandError):
        call_command("seed_demo_prompts", workspace="nope")
