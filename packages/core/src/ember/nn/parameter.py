"""(being written)"""


class Parameter:
    pass


class Buffer:
    pass


class UninitializedParameter:
    pass
