from django import forms


class NotebookUploadForm(forms.Form):
    notebook = forms.FileField(
        label="Notebook (.ipynb)",
        widget=forms.ClearableFileInput(attrs={"accept": ".ipynb"}),
    )

    def __init__(self, *args, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    def clean_notebook(self):
        upload = self.cleaned_data["notebook"]
        if not upload.name.lower().endswith(".ipynb"):
            raise forms.ValidationError("Upload a Jupyter notebook: the file name must end in .ipynb.")
        # Checked before reading, so a huge upload is refused without loading it.
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                f"The file is {upload.size / 1e6:.1f} MB; notebooks may be at most {self.max_bytes / 1e6:.1f} MB."
            )
        return upload
