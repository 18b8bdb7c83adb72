"""Thresholds of the diff: what folds away, what pairs up, and where speed wins over detail."""

DEFAULT_CONTEXT = 3
# Folding a single line behind an "expand" control saves no space, so shorter runs stay shown.
MIN_COLLAPSED_RUN = 2
# Two lines (or two messages of different roles) less alike than this are shown as a deletion
# plus an insertion: a word-level diff of unrelated text is just noise.
PAIRING_CUTOFF = 0.5
# Within a message, the same role is a strong hint that it is "the same" message rewritten.
SAME_ROLE_BONUS = 0.5
# Pairing items of a replaced block by similarity is quadratic; past this many candidate pairs
# (e.g. a 2,000-line prompt rewritten wholesale) we pair them in order instead.
MAX_PAIRING_CANDIDATES = 2_500
# Word-level matching gets slow on huge texts (seconds for a 30,000-word line). Past this many
# words, similarity compares whole lines instead; a single line that long therefore shows as
# deleted + inserted rather than word by word.
MAX_WORD_DIFF_WORDS = 2_000
