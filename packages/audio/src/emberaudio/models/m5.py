"""M5: the raw-waveform CNN of Dai et al., "Very deep convolutional neural networks for raw
waveforms" (ICASSP 2017), as in torchaudio's speech-command tutorial.

A wide first convolution (80 taps, stride 16: 5 ms windows every 1 ms at 16 kHz) learns a
filterbank from the samples; three 3-tap blocks follow, each conv + BatchNorm + ReLU + max-pool
by 4; a global average over time and a linear layer give the class scores.
"""

from __future__ import annotations

import ember.nn.functional as F
from ember import Tensor, nn

from ._common import check_waveform

__all__ = ["M5"]


class M5(nn.Module):
    """The M5 raw-waveform classifier (torchaudio tutorial's layout and parameter names).

    Args:
        n_input: waveform channels (1: mono).
        n_output: classes.
        stride: the first convolution's stride (16 in the paper at 16 kHz).
        n_channel: filters of the first two blocks (the last two have twice as many).
        sample_rate: the rate the model is trained for; ``forward(x, sample_rate=...)`` checks
            it. (Not in the tutorial: a keyword-only addition so a wrong rate is an error.)
        log_softmax: return log-probabilities (the tutorial's output, for ``nll_loss``)
            instead of logits (for ``cross_entropy``).

    Shape:
        ``(N, n_input, time)`` or ``(n_input, time)`` -> ``(N, n_output)`` (or ``(n_output,)``).
        The tutorial returns ``(N, 1, n_output)``; the singleton time axis is dropped here so
        the output feeds ``cross_entropy`` directly. ``time`` must be at least
        :attr:`min_frames` (``423 * stride + 80``: 6848, 0.43 s at 16 kHz, for the default).

    Example:
        >>> model = M5(n_output=10)
        >>> model(ember.randn(2, 1, 16000)).shape
        (2, 10)
    """

    def __init__(self, n_input: int = 1, n_output: int = 35, stride: int = 16,
                 n_channel: int = 32, *, sample_rate: int = 16000,
                 log_softmax: bool = False) -> None:
        super().__init__()
        for arg, value in (("n_input", n_input), ("n_output", n_output), ("stride", stride),
                           ("n_channel", n_channel), ("sample_rate", sample_rate)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"M5: {arg} must be a positive int, got {value!r}")
        self.n_input, self.n_output, self.stride = n_input, n_output, stride
        self.n_channel, self.sample_rate, self.log_softmax = n_channel, sample_rate, log_softmax
        self.conv1 = nn.Conv1d(n_input, n_channel, kernel_size=80, stride=stride)
        self.bn1 = nn.BatchNorm1d(n_channel)
        self.pool1 = nn.MaxPool1d(4)
        self.conv2 = nn.Conv1d(n_channel, n_channel, kernel_size=3)
        self.bn2 = nn.BatchNorm1d(n_channel)
        self.pool2 = nn.MaxPool1d(4)
        self.conv3 = nn.Conv1d(n_channel, 2 * n_channel, kernel_size=3)
        self.bn3 = nn.BatchNorm1d(2 * n_channel)
        self.pool3 = nn.MaxPool1d(4)
        self.conv4 = nn.Conv1d(2 * n_channel, 2 * n_channel, kernel_size=3)
        self.bn4 = nn.BatchNorm1d(2 * n_channel)
        self.pool4 = nn.MaxPool1d(4)
        self.fc1 = nn.Linear(2 * n_channel, n_output)

    @property
    def min_frames(self) -> int:
        """The shortest input: every pooling needs at least 4 frames, every 3-tap conv 3.

        Walking back from one output frame: pool4 needs 4, conv4 6, pool3 24, conv3 26,
        pool2 104, conv2 106, pool1 424, conv1 ``(424 - 1) * stride + 80``.
        """
        return 423 * self.stride + 80

    def _describe(self) -> str:
        return f"M5(n_input={self.n_input}, n_output={self.n_output})"

    def forward(self, x: Tensor, sample_rate: int | None = None) -> Tensor:
        """Class scores for a batch of waveforms (``sample_rate``: checked when given)."""
        unbatched = x.ndim == 2
        x = check_waveform(self._describe(), x, self.n_input, self.sample_rate, sample_rate,
                           self.min_frames)
        x = self.pool1(F.relu(self.bn1(self.conv1(x))))
        x = self.pool2(F.relu(self.bn2(self.conv2(x))))
        x = self.pool3(F.relu(self.bn3(self.conv3(x))))
        x = self.pool4(F.relu(self.bn4(self.conv4(x))))
        x = self.fc1(x.mean(dim=-1))  # the tutorial's avg_pool1d over the whole time axis
        if self.log_softmax:
            x = F.log_softmax(x, dim=-1)
        return x[0] if unbatched else x
