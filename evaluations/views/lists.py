"""Work in progress: filled in by this session."""


def evaluation_list(request, pk=None):
    raise NotImplementedError


def my_evaluations(request, pk=None):
    raise NotImplementedError


def evaluation_detail(request, pk=None):
    raise NotImplementedError

