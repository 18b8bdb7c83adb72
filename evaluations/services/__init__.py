"""Writes of the evaluations app (datasets, evaluators, runs, grading). Other apps (the
playground) call `datasets.dataset_create`, `datasets.dataset_items_add` and
`runs.evaluation_run_start`: their signatures are kept stable."""
