"""dlib's face-recognition ResNet (the model behind face_recognition's 128-d encodings), run
with numpy's BLAS instead of dlib's own convolution code.

Why: the ``dlib-bin`` wheel is built without BLAS, so ``compute_face_descriptor`` costs
~80 ms of CPU per face here, as much as finding the faces. The network is small and fixed
(29 convolutions, 150×150 input), so its forward pass is reproduced here on the *same
weights*, read from the same ``dlib_face_recognition_resnet_model_v1.dat`` file; im2col +
one BLAS matrix product per convolution, batched over up to :data:`MAX_BATCH` faces of an
image (~4 MB of working memory per face). ``tests/test_faces.py`` checks the vectors against
dlib's own on real faces (max abs difference 4e-7 measured, 1e-4 asserted; the match
threshold face_recognition uses is a distance of 0.6).

The face chips (150×150, aligned on the 5 landmarks, padding 0.25) still come from dlib's
``get_face_chip``, exactly what ``compute_face_descriptor`` extracts internally.

Architecture (dlib's ``dnn_face_recognition_ex.cpp``, ``anet_type``):
``input 150×150 RGB → con 7×7/2 (32) → affine → relu → max_pool 3×3/2 → 3 × res(32) →
res_down(64) + 3 × res(64) → res_down(128) + 2 × res(128) → res_down(256) + 2 × res(256) →
res_down(256) → global average → fc 256→128 (no bias)``; ``res`` = relu(x + affine(con(relu(
affine(con(x)))))), ``res_down`` adds a 2×2/2 average pool of its input instead of ``x``, and
dlib's ``add_prev`` zero-pads the smaller operand (channels and spatial size) to the larger.
Stride-2 layers have no padding, stride-1 3×3 convolutions pad by 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

CHIP_SIZE = 150
CHIP_PADDING = 0.25
#: Faces per forward pass: bounds memory on crowd photos (~4 MB per face in flight).
MAX_BATCH = 16
#: dlib's input_rgb_image_sized: per-channel means subtracted, then divided by 256.
_MEAN_RGB = np.array([122.782, 117.001, 104.298], dtype=np.float32)
_CON = re.compile(rb"\x01\x05con_4")
_AFFINE = re.compile(rb"\x01\x07affine_")
_FC = re.compile(rb"\x01\x04fc_2")
#: (filters, kernel, stride) of the 29 convolutions, in forward order.
_CONV_PLAN = (
    [(32, 7, 2)]
    + [(32, 3, 1)] * 6
    + [(64, 3, 2)] + [(64, 3, 1)] * 7
    + [(128, 3, 2)] + [(128, 3, 1)] * 5
    + [(256, 3, 2)] + [(256, 3, 1)] * 5
    + [(256, 3, 2), (256, 3, 1)]
)  # fmt: skip
#: Residual units after the stem: (down-sampling?, conv index of its first convolution).
_UNITS = (
    [(False, 1), (False, 3), (False, 5)]
    + [(True, 7), (False, 9), (False, 11), (False, 13)]
    + [(True, 15), (False, 17), (False, 19)]
    + [(True, 21), (False, 23), (False, 25)]
    + [(True, 27)]
)  # fmt: skip


class ModelFormatError(ValueError):
    """The model file does not hold the network this module reproduces."""


@dataclass(frozen=True)
class _Conv:
    weight: np.ndarray  # (kernel * kernel * in_channels, filters), im2col order (ky, kx, c)
    bias: np.ndarray
    kernel: int
    stride: int
    padding: int


@dataclass(frozen=True)
class ResNetWeights:
    """Every parameter of the network, as numpy arrays ready for the forward pass."""

    convs: list[_Conv]
    affines: list[tuple[np.ndarray, np.ndarray]]  # (gamma, beta) per channel
    fc: np.ndarray  # (256, 128)


class _Reader:
    """dlib's serialization: integers as a length/sign byte + little-endian magnitude,
    tensors as a version, four dimensions and raw little-endian float32 values."""

    def __init__(self, data: bytes, pos: int) -> None:
        self.data, self.pos = data, pos

    def integer(self) -> int:
        head = self.data[self.pos]
        size = head & 0x0F
        value = int.from_bytes(self.data[self.pos + 1 : self.pos + 1 + size], "little")
        self.pos += 1 + size
        return -value if head & 0x80 else value

    def tensor(self) -> np.ndarray:
        if self.integer() != 2:
            raise ModelFormatError("unknown dlib tensor version")
        dims = [self.integer() for _ in range(4)]
        count = int(np.prod(dims))
        end = self.pos + 4 * count
        if count <= 0 or end > len(self.data):
            raise ModelFormatError(f"bad tensor dimensions {dims}")
        values = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.pos)
        self.pos = end
        return values.astype(np.float32).reshape(dims)


def load_weights(path: str) -> ResNetWeights:
    """Read the parameters from dlib's model file, checking every shape against the plan."""
    with open(path, "rb") as fh:
        data = fh.read()
    con_at = [m.end() for m in _CON.finditer(data)]
    affine_at = [m.end() for m in _AFFINE.finditer(data)]
    fc_at = [m.end() for m in _FC.finditer(data)]
    if len(con_at) != len(_CONV_PLAN) or len(affine_at) != len(_CONV_PLAN) or len(fc_at) != 1:
        raise ModelFormatError(
            f"{path}: expected {len(_CONV_PLAN)} con_4/affine_ layers and one fc_2, found "
            f"{len(con_at)}/{len(affine_at)}/{len(fc_at)}"
        )
    convs, in_channels = [], 3
    for pos, (filters, kernel, stride) in zip(con_at, _CONV_PLAN, strict=True):
        reader = _Reader(data, pos)
        params = reader.tensor().ravel()
        header = [reader.integer() for _ in range(7)]
        padding = 0 if stride != 1 else kernel // 2
        if header != [filters, kernel, kernel, stride, stride, padding, padding]:
            raise ModelFormatError(f"{path}: unexpected convolution {header}")
        n_weights = filters * in_channels * kernel * kernel
        if params.size != n_weights + filters:
            raise ModelFormatError(f"{path}: convolution has {params.size} parameters")
        # dlib: filters (F, C, ky, kx) then F biases; im2col below orders columns (ky, kx, C).
        weight = params[:n_weights].reshape(filters, in_channels, kernel, kernel)
        weight = np.ascontiguousarray(weight.transpose(2, 3, 1, 0).reshape(-1, filters))
        convs.append(_Conv(weight, params[n_weights:].copy(), kernel, stride, padding))
        in_channels = filters
    affines = []
    for pos, conv in zip(affine_at, convs, strict=True):
        params = _Reader(data, pos).tensor().ravel()
        channels = conv.bias.size
        if params.size != 2 * channels:
            raise ModelFormatError(f"{path}: affine layer has {params.size} parameters")
        affines.append((params[:channels].copy(), params[channels:].copy()))
    reader = _Reader(data, fc_at[0])
    outputs, inputs = reader.integer(), reader.integer()
    fc = reader.tensor().reshape(inputs, outputs)
    if (inputs, outputs) != (256, 128):
        raise ModelFormatError(f"{path}: fc layer is {inputs}→{outputs}, expected 256→128")
    return ResNetWeights(convs, affines, np.ascontiguousarray(fc))


def _conv(x: np.ndarray, conv: _Conv) -> np.ndarray:
    """Cross-correlation of NHWC ``x`` by im2col and one matrix product."""
    if conv.padding:
        p = conv.padding
        x = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    n, h, w, c = x.shape
    k, s = conv.kernel, conv.stride
    ho, wo = (h - k) // s + 1, (w - k) // s + 1
    sn, sh, sw, sc = x.strides
    patches = np.lib.stride_tricks.as_strided(
        x, shape=(n, ho, wo, k, k, c), strides=(sn, sh * s, sw * s, sh, sw, sc), writeable=False
    )
    out = patches.reshape(n * ho * wo, k * k * c) @ conv.weight
    out += conv.bias
    return out.reshape(n, ho, wo, -1)


def _max_pool_3x3_s2(x: np.ndarray) -> np.ndarray:
    n, h, w, c = x.shape
    ho, wo = (h - 3) // 2 + 1, (w - 3) // 2 + 1
    out = x[:, 0 : 2 * ho - 1 : 2, 0 : 2 * wo - 1 : 2]
    for dy in range(3):
        for dx in range(3):
            out = np.maximum(out, x[:, dy : dy + 2 * ho - 1 : 2, dx : dx + 2 * wo - 1 : 2])
    return out


def _avg_pool_2x2_s2(x: np.ndarray) -> np.ndarray:
    n, h, w, c = x.shape
    ho, wo = (h - 2) // 2 + 1, (w - 2) // 2 + 1
    total = sum(x[:, dy : dy + 2 * ho : 2, dx : dx + 2 * wo : 2] for dy in (0, 1) for dx in (0, 1))
    return total * np.float32(0.25)


def _add_padded(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dlib's add_prev: the sum over the larger shape, the smaller operand zero-padded."""
    if a.shape == b.shape:
        return a + b
    shape = tuple(max(i, j) for i, j in zip(a.shape, b.shape, strict=True))
    out = np.zeros(shape, dtype=np.float32)
    out[: a.shape[0], : a.shape[1], : a.shape[2], : a.shape[3]] += a
    out[: b.shape[0], : b.shape[1], : b.shape[2], : b.shape[3]] += b
    return out


def _conv_affine(x: np.ndarray, weights: ResNetWeights, i: int) -> np.ndarray:
    gamma, beta = weights.affines[i]
    out = _conv(x, weights.convs[i])
    out *= gamma
    out += beta
    return out


def descriptors(chips: np.ndarray, weights: ResNetWeights) -> np.ndarray:
    """128-d face descriptors of ``chips`` (N × 150 × 150 × 3 uint8 RGB), as float32 N × 128."""
    if chips.ndim != 4 or chips.shape[1:] != (CHIP_SIZE, CHIP_SIZE, 3):
        raise ValueError(f"chips must be N×{CHIP_SIZE}×{CHIP_SIZE}×3, not {chips.shape}")
    if len(chips) > MAX_BATCH:
        parts = [descriptors(chips[i : i + MAX_BATCH], weights)
                 for i in range(0, len(chips), MAX_BATCH)]  # fmt: skip
        return np.concatenate(parts)
    if len(chips) == 0:
        return np.zeros((0, weights.fc.shape[1]), dtype=np.float32)
    x = (chips.astype(np.float32) - _MEAN_RGB) / np.float32(256.0)
    x = _max_pool_3x3_s2(np.maximum(_conv_affine(x, weights, 0), 0))
    for down, first in _UNITS:
        y = np.maximum(_conv_affine(x, weights, first), 0)
        y = _conv_affine(y, weights, first + 1)
        x = np.maximum(_add_padded(y, _avg_pool_2x2_s2(x) if down else x), 0)
    return x.mean(axis=(1, 2)) @ weights.fc


def face_chips(image: np.ndarray, shapes: list[Any]) -> np.ndarray:
    """The aligned 150×150 chips dlib's ``compute_face_descriptor`` would extract."""
    import dlib

    if not shapes:
        return np.zeros((0, CHIP_SIZE, CHIP_SIZE, 3), dtype=np.uint8)
    return np.stack([dlib.get_face_chip(image, s, CHIP_SIZE, CHIP_PADDING) for s in shapes])
