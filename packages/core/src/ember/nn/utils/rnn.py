"""``ember.nn.utils.rnn``: packed sequences and padding (written by the RNN colleague)."""

__all__: list[str] = []
