"""Work in progress: filled in by this session."""


def cycle_list(request, pk=None):
    raise NotImplementedError


def cycle_create(request, pk=None):
    raise NotImplementedError


def cycle_detail(request, pk=None):
    raise NotImplementedError


def allocate_one(request, pk=None):
    raise NotImplementedError


def allocate_list(request, pk=None):
    raise NotImplementedError


def allocate_sample(request, pk=None):
    raise NotImplementedError


def cycle_close(request, pk=None):
    raise NotImplementedError


def evaluation_reassign(request, pk=None):
    raise NotImplementedError

