"""DeepSpeech (Hannun et al., 2014) with torchaudio's layout (``torchaudio.models.DeepSpeech``):
the same arguments, forward and state_dict names (``fc1.fc.*`` ... ``bi_rnn.*``, ``fc4.fc.*``,
``out.*``).
"""

from __future__ import annotations

from ember import nn
from ember.nn import functional as F

__all__ = ["DeepSpeech"]


class FullyConnected(nn.Module):
    """Linear, then ReLU clipped at ``relu_max_clip`` (``hardtanh(relu(x), 0, 20)``), then
    dropout: torchaudio's ``deepspeech.FullyConnected`` (parameters ``fc.weight``, ``fc.bias``).

    Args:
        n_feature: input features.
        n_hidden: output features.
        dropout: dropout probability (0 disables it).
        relu_max_clip: the clipping value (20).
    """

    def __init__(self, n_feature: int, n_hidden: int, dropout: float,
                 relu_max_clip: int = 20) -> None:
        super().__init__()
        self.fc = nn.Linear(n_feature, n_hidden, bias=True)
        self.relu_max_clip = relu_max_clip
        self.dropout = dropout

    def forward(self, x):
        x = F.hardtanh(F.relu(self.fc(x)), 0, self.relu_max_clip)
        if self.dropout:
            x = F.dropout(x, self.dropout, self.training)
        return x


class DeepSpeech(nn.Module):
    """DeepSpeech: three clipped-ReLU dense layers, a bidirectional ReLU RNN whose two
    directions are summed, a fourth dense layer and a linear output with log-softmax.

    Args:
        n_feature: input features per frame.
        n_hidden: hidden units (2048).
        n_class: output classes (40).
        dropout: dropout of the dense layers (0.0).

    Shape:
        forward ``(batch, channel=1, time, n_feature)`` -> ``(batch, time, n_class)``
        log-probabilities over the last dim.

    Example:
        >>> model = DeepSpeech(n_feature=13, n_hidden=16, n_class=5)
        >>> model(ember.randn(2, 1, 7, 13)).shape
        ember.Size([2, 7, 5])
    """

    def __init__(self, n_feature: int, n_hidden: int = 2048, n_class: int = 40,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.n_hidden = n_hidden
        self.fc1 = FullyConnected(n_feature, n_hidden, dropout)
        self.fc2 = FullyConnected(n_hidden, n_hidden, dropout)
        self.fc3 = FullyConnected(n_hidden, n_hidden, dropout)
        self.bi_rnn = nn.RNN(n_hidden, n_hidden, num_layers=1, nonlinearity="relu",
                             bidirectional=True)
        self.fc4 = FullyConnected(n_hidden, n_hidden, dropout)
        self.out = nn.Linear(n_hidden, n_class)

    def forward(self, x):
        """``(batch, 1, time, n_feature)`` -> log-probabilities ``(batch, time, n_class)``."""
        if x.ndim != 4 or x.shape[1] != 1:
            raise ValueError(f"DeepSpeech: expected input of shape (batch, 1, time, "
                             f"n_feature), got {tuple(x.shape)}; add the channel dim with "
                             f"x.unsqueeze(1)")
        x = self.fc3(self.fc2(self.fc1(x)))        # N x 1 x T x H
        x = x.squeeze(1).transpose(0, 1)            # T x N x H (the RNN is time-major)
        x, _ = self.bi_rnn(x)
        # the fifth (non-recurrent) layer takes the sum of the forward and backward units
        x = x[:, :, :self.n_hidden] + x[:, :, self.n_hidden:]
        x = self.out(self.fc4(x))                   # T x N x n_class
        return F.log_softmax(x.permute(1, 0, 2), dim=2)
