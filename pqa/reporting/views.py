

def distribution_json(request):
    raise NotImplementedError


def distribution_page(request):
    raise NotImplementedError

