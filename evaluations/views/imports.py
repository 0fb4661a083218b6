"""Work in progress: filled in by this session."""


def import_evaluations(request, pk=None):
    raise NotImplementedError

