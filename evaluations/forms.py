"""The input boundary of the evaluation pages."""

import json

from django import forms
from django.core.exceptions import ValidationError

from gateway.models import ModelAlias, ProviderModel
from promptregistry.models import Prompt

from . import evaluators as scorers
from .models import Dataset, Evaluator
from .services.imports import TARGETS


def _json_object(value: str, what: str) -> dict:
    value = (value or "").strip()
    if not value:
        return {}
    try:
        parsed = json.loads(value)
    except ValueError as error:
        raise ValidationError(f"{what} is not JSON: {error}.") from None
    if not isinstance(parsed, dict):
        raise ValidationError(f"{what} must be a JSON object ({{...}}).")
    return parsed


class DatasetForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ItemForm(forms.Form):
    inputs = forms.CharField(
        required=False,
        label="Inputs (JSON)",
        widget=forms.Textarea(
            attrs={"rows": 3, "class": "mono", "placeholder": '{"question": "…"}'}
        ),
    )
    expected_output = forms.CharField(
        required=False, label="Expected output", widget=forms.Textarea(attrs={"rows": 3})
    )
    metadata = forms.CharField(
        required=False,
        label="Metadata (JSON)",
        widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}),
    )

    def clean_inputs(self) -> dict:
        return _json_object(self.cleaned_data["inputs"], "Inputs")

    def clean_metadata(self) -> dict:
        return _json_object(self.cleaned_data["metadata"], "Metadata")

    @classmethod
    def for_item(cls, item) -> "ItemForm":
        return cls(
            initial={
                "inputs": json.dumps(item.inputs, ensure_ascii=False, indent=1),
                "expected_output": item.expected_output,
                "metadata": json.dumps(item.metadata, ensure_ascii=False) if item.metadata else "",
            },
            prefix=f"item-{item.pk}",
        )


class UploadForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header row, or JSONL (one JSON object a line).")


class MappingForm(forms.Form):
    def __init__(self, *args, columns: list[str], initial_mapping: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.columns = columns
        choices = [
            ("input", "Input variable"),
            ("expected", "Expected output"),
            ("metadata", "Metadata"),
            ("ignore", "Ignore"),
        ]
        for index, column in enumerate(columns):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                choices=choices, initial=initial_mapping.get(column, "input"), label=column
            )

    def mapping(self) -> dict[str, str]:
        return {
            column: self.cleaned_data[f"col_{index}"]
            for index, column in enumerate(self.columns)
            if self.cleaned_data.get(f"col_{index}") in TARGETS
        }


class EvaluatorForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=Evaluator.Kind.choices)
    config = forms.CharField(
        required=False,
        label="Configuration (JSON)",
        widget=forms.Textarea(attrs={"rows": 4, "class": "mono", "placeholder": "{}"}),
    )

    def clean(self):
        data = super().clean()
        if "kind" in data:
            try:
                config = _json_object(data.get("config", ""), "The configuration")
                scorers.validate_config(data["kind"], config)
            except ValidationError as error:
                self.add_error("config", error)
            else:
                data["config"] = config
        return data


class RunForm(forms.Form):
    prompt = forms.ChoiceField(label="Prompt")
    target = forms.CharField(
        label="Label or version",
        initial="production",
        max_length=40,
        help_text="A label (production, staging, latest) or a version number such as 3.",
    )
    model = forms.ChoiceField(label="Model", required=False)
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.none())
    evaluators = forms.ModelMultipleChoiceField(
        queryset=Evaluator.objects.none(), widget=forms.CheckboxSelectMultiple, required=False
    )
    concurrency = forms.IntegerField(
        min_value=1, max_value=50, initial=4, help_text="Items in flight at once for this run."
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        names = (
            Prompt.objects.alive()
            .filter(workspace=workspace, kind=Prompt.Kind.PROMPT)
            .order_by("name")
            .values_list("name", flat=True)
        )
        self.fields["prompt"].choices = [(n, n) for n in names]
        models = list(
            ProviderModel.objects.filter(workspace=workspace)
            .order_by("name")
            .values_list("name", flat=True)
        )
        aliases = list(
            ModelAlias.objects.filter(workspace=workspace)
            .order_by("name")
            .values_list("name", flat=True)
        )
        self.fields["model"].choices = [("", "The prompt's model")] + [
            (n, n) for n in models + aliases
        ]
        self.fields["dataset"].queryset = Dataset.objects.filter(workspace=workspace)
        self.fields["evaluators"].queryset = Evaluator.objects.filter(workspace=workspace)

    def label_and_version(self) -> tuple[str | None, int | None]:
        target = self.cleaned_data["target"].strip()
        if target[:1] in ("v", "V") and target[1:].isdigit():
            target = target[1:]
        if target.isdigit():
            return None, int(target)
        return target or None, None


class GradeForm(forms.Form):
    score = forms.TypedChoiceField(
        coerce=int,
        choices=[
            (1, "1 · wrong"),
            (2, "2 · poor"),
            (3, "3 · acceptable"),
            (4, "4 · good"),
            (5, "5 · excellent"),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AddCompletionForm(forms.Form):
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.none(), required=False)
    new_dataset = forms.CharField(required=False, max_length=200, label="or a new dataset")

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = Dataset.objects.filter(workspace=workspace)

    def clean(self):
        data = super().clean()
        if not data.get("dataset") and not (data.get("new_dataset") or "").strip():
            raise ValidationError("Choose a dataset or name a new one.")
        return data


class GateForm(forms.Form):
    gate_production = forms.BooleanField(
        required=False,
        label="Gate production on evaluation",
        help_text="Moving the production label needs a completed run of that version scoring "
        "at least the minimum.",
    )
    gate_dataset = forms.ModelChoiceField(
        queryset=Dataset.objects.none(), required=False, label="On dataset", empty_label="Any"
    )
    gate_min_score = forms.FloatField(min_value=0, max_value=1, initial=0.8, label="Minimum score")

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gate_dataset"].queryset = Dataset.objects.filter(workspace=workspace)
