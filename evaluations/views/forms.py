"""Work in progress: filled in by this session."""


def evaluation_form(request, pk=None):
    raise NotImplementedError


def evaluation_autosave(request, pk=None):
    raise NotImplementedError

