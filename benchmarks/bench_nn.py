"""Training-step workloads for ``ember.nn`` (and PyTorch side by side when installed).

    python benchmarks/bench_nn.py              # all four
    python benchmarks/bench_nn.py resnet       # names containing 'resnet'
    python benchmarks/bench_nn.py --device cuda  # on the GPU (CuPy for Ember)

Each step is forward + loss + backward + optimiser step, as in a real training loop; on a GPU
the step ends with a device synchronisation so the time counts the kernels, not their launch.
"""

from __future__ import annotations

import sys

from harness import Workload, run

DEVICE = "cpu"  # set from --device


def _train_step(lib, model, inputs, targets, loss_fn, lr=1e-3):
    model.to(DEVICE)
    inputs, targets = inputs.to(DEVICE), targets.to(DEVICE)
    optimizer = lib.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    sync = lib.cuda.synchronize if DEVICE == "cuda" else (lambda: None)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        sync()

    return step


def mnist_cnn(lib):
    """The classic PyTorch MNIST example network, batch 64."""
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = lib.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            return F.log_softmax(self.fc2(x), dim=1)

    lib.manual_seed(0)
    x = lib.randn(64, 1, 28, 28)
    y = lib.randint(0, 10, (64,))
    return _train_step(lib, Net(), x, y, F.nll_loss)


def _resnet18(lib, num_classes=10):
    """ResNet-18 for 32x32 inputs (3x3 stem, no max-pool), BasicBlocks [2, 2, 2, 2]."""
    nn = lib.nn

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                              nn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + self.shortcut(x))

    layers = [nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    cin = 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes)]
    return nn.Sequential(*layers)


def resnet18_cifar(lib):
    lib.manual_seed(0)
    x = lib.randn(32, 3, 32, 32)
    y = lib.randint(0, 10, (32,))
    return _train_step(lib, _resnet18(lib), x, y, lib.nn.functional.cross_entropy)


def transformer_encoder(lib):
    """2-layer TransformerEncoder, d_model 256, 4 heads, seq 128, batch 16."""
    nn = lib.nn
    lib.manual_seed(0)
    layer = nn.TransformerEncoderLayer(256, 4, dim_feedforward=1024, batch_first=True)
    model = nn.TransformerEncoder(layer, num_layers=2)
    x = lib.randn(16, 128, 256)
    target = lib.randn(16, 128, 256)
    return _train_step(lib, model, x, target, lib.nn.functional.mse_loss)


def lstm(lib):
    """1-layer LSTM, hidden 256, seq 50, batch 32, loss on the last hidden state."""
    nn = lib.nn
    lib.manual_seed(0)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(128, 256)
            self.head = nn.Linear(256, 10)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return self.head(h[-1])

    x = lib.randn(50, 32, 128)
    y = lib.randint(0, 10, (32,))
    return _train_step(lib, Model(), x, y, lib.nn.functional.cross_entropy)


WORKLOADS = [
    Workload("MNIST CNN train step (batch 64)", mnist_cnn, unit="ms", min_time=2.0, repeats=3),
    Workload("ResNet-18 CIFAR train step (batch 32)", resnet18_cifar, unit="ms", min_time=4.0,
             repeats=3),
    Workload("TransformerEncoder 2x256 train step", transformer_encoder, unit="ms",
             min_time=3.0, repeats=3),
    Workload("LSTM 256 seq 50 train step (batch 32)", lstm, unit="ms", min_time=2.0, repeats=3),
]

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--device" in args:
        at = args.index("--device")
        DEVICE = args[at + 1]
        del args[at:at + 2]
    run(WORKLOADS, args[0] if args else None)
