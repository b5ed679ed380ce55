"""Regenerate emberaudio's embedded spoken-digit set (``emberaudio.datasets.SpokenDigits``).

The ten English digits "zero".."nine" are synthesised by espeak-ng in several voices, speeds and
pitches, resampled from espeak-ng's 22.05 kHz to 16 kHz mono, trimmed of leading and trailing
silence, peak-normalised and written as 16-bit FLAC, with a manifest ``manifest.csv``
(``file,label,voice,speed,pitch,split``).

Run it at development time only (espeak-ng is not a dependency of emberaudio)::

    apt-get install -y espeak-ng          # Debian 12: espeak-ng 1.51+dfsg-10+deb12u2
    python3 scripts/make_spoken_digits.py [--out DIR]

Determinism: espeak-ng writes byte-identical WAV files for the same text, voice, speed and pitch;
resampling (scipy's polyphase filter, 320/441), trimming and normalisation are plain arithmetic
in float64, so a rerun with the same espeak-ng version reproduces the same samples. The FLAC bytes
may differ between libsndfile versions (encoder details), the decoded samples do not.
The set shipped in the package was generated with espeak-ng 1.51 (Debian 1.51+dfsg-10+deb12u2),
libsndfile 1.2.2 (soundfile 0.14.0), scipy 1.17.1.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import subprocess
import tempfile

import numpy as np
import soundfile
from scipy.signal import resample_poly

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# Voices: the base English accents espeak-ng ships plus variants ("+f2" female, "+m3" male...).
VOICES = ("en-us", "en", "en-029", "en+m3", "en-us+f2")
SPEEDS = (140, 175, 210)  # words per minute (espeak-ng's default is 175)
PITCHES = (35, 65)  # 0..99 (default 50)
# The test split holds out one whole voice, so test accuracy measures generalisation to a
# timbre the model never heard (female, where most training voices are male).
TEST_VOICES = frozenset({"en-us+f2"})

ESPEAK_RATE = 22050
TARGET_RATE = 16000
SILENCE = 0.02  # |x| below this fraction of the peak counts as silence when trimming
MARGIN = 0.03  # seconds of the original recording kept either side of the speech
PEAK = 0.9  # peak level after normalisation (headroom for the int16 FLAC)


def synthesise(word: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    """espeak-ng's 22.05 kHz PCM16 output for ``word``, as float64 in [-1, 1]."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", path,
                        word], check=True, capture_output=True)
        audio, rate = soundfile.read(path, dtype="float64")
    if rate != ESPEAK_RATE or audio.ndim != 1:
        raise RuntimeError(f"espeak-ng gave {audio.shape} at {rate} Hz; expected mono 22050 Hz")
    return audio


def process(audio: np.ndarray) -> np.ndarray:
    """Resample to 16 kHz, trim silence (keeping a margin), normalise the peak."""
    audio = resample_poly(audio, 320, 441)  # 22050 * 320 / 441 = 16000
    loud = np.flatnonzero(np.abs(audio) > SILENCE * np.abs(audio).max())
    margin = int(MARGIN * TARGET_RATE)
    start = max(int(loud[0]) - margin, 0)
    stop = min(int(loud[-1]) + 1 + margin, audio.size)
    audio = audio[start:stop]
    return audio * (PEAK / np.abs(audio).max())


def clip_name(word: str, voice: str, speed: int, pitch: int) -> str:
    return f"{word}_{voice.replace('+', '-')}_s{speed}_p{pitch}.flac"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_out = os.path.join(os.path.dirname(__file__), os.pardir, "packages", "audio", "src",
                               "emberaudio", "datasets", "_embedded", "spoken_digits")
    parser.add_argument("--out", default=os.path.normpath(default_out))
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng not found: apt-get install -y espeak-ng")
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for voice in VOICES:
        split = "test" if voice in TEST_VOICES else "train"
        for speed in SPEEDS:
            for pitch in PITCHES:
                for label, word in enumerate(DIGITS):
                    audio = process(synthesise(word, voice, speed, pitch))
                    name = clip_name(word, voice, speed, pitch)
                    buffer = io.BytesIO()
                    soundfile.write(buffer, audio, TARGET_RATE, subtype="PCM_16", format="FLAC",
                                    compression_level=1.0)
                    with open(os.path.join(args.out, name), "wb") as f:
                        f.write(buffer.getvalue())
                    rows.append((name, label, voice, speed, pitch, split))
    with open(os.path.join(args.out, "manifest.csv"), "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(("file", "label", "voice", "speed", "pitch", "split"))
        writer.writerows(rows)
    size = sum(os.path.getsize(os.path.join(args.out, r[0])) for r in rows)
    print(f"wrote {len(rows)} clips ({size / 1e6:.2f} MB) and manifest.csv to {args.out}")


if __name__ == "__main__":
    main()
