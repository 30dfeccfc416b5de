"""torchvision-named transforms: hand-computed values (torchvision is not installed), with
torch.nn.functional.interpolate as the oracle for Resize when torch is present."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from nn.data import DataLoader, Dataset, datasets, transforms
from nn.data import transforms as T
from nn.data.transforms import functional as F


def image(c=1, h=4, w=5, dtype=np.float32):
    return np.arange(c * h * w, dtype=dtype).reshape(c, h, w)


def test_namespaces():
    assert datasets.MNIST is not None and transforms.ToTensor is T.ToTensor
    assert T.InterpolationMode.BILINEAR == "bilinear" and T.functional.hflip is F.hflip


def test_to_tensor_layouts_and_dtypes():
    hwc = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    t = T.ToTensor()(hwc)
    assert isinstance(t, ag.Tensor) and t.shape == (3, 2, 3) and t.data.dtype == np.float32
    np.testing.assert_allclose(t.data, hwc.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    gray = T.ToTensor()(np.full((4, 5), 255, np.uint8))
    assert gray.shape == (1, 4, 5) and float(gray.data.max()) == 1.0
    f64 = T.ToTensor()(np.ones((6, 7, 3)))
    assert f64.shape == (3, 6, 7) and f64.data.dtype == np.float64


def test_normalize_after_to_tensor():
    pipe = T.Compose([T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.5, 0.25, 1.0),
                                                inplace=True)])
    out = pipe(np.full((2, 2, 3), 255, np.uint8))
    assert isinstance(out, ag.Tensor)
    np.testing.assert_allclose(out.data[:, 0, 0], [1.0, 2.0, 0.5], rtol=1e-6)


@pytest.mark.parametrize(("mode", "expected"), [
    ("constant", [9, 9, 1, 2, 3, 9, 9]),
    ("edge", [1, 1, 1, 2, 3, 3, 3]),
    ("reflect", [3, 2, 1, 2, 3, 2, 1]),
    ("symmetric", [2, 1, 1, 2, 3, 3, 2]),
])
def test_pad_modes(mode, expected):
    row = np.array([[[1, 2, 3]]], np.float32)
    out = T.Pad((2, 0), fill=9, padding_mode=mode)(row)
    np.testing.assert_array_equal(out[0, 0], expected)
    with pytest.raises(ValueError, match="padding_mode"):
        T.Pad(1, padding_mode="wrap")(row)


def test_resize_hand_computed():
    row = np.array([[[0.0, 1.0]]], np.float32)
    np.testing.assert_allclose(T.Resize((1, 4))(row)[0, 0], [0, 0.25, 0.75, 1.0])
    np.testing.assert_array_equal(T.Resize((1, 4), interpolation="nearest")(row)[0, 0],
                                  [0, 0, 1, 1])
    assert T.Resize(5)(np.zeros((1, 20, 10))).shape == (1, 10, 5)
    assert T.Resize(5)(np.zeros((1, 10, 20))).shape == (1, 5, 10)
    assert T.Resize(8, max_size=12)(np.zeros((1, 10, 20))).shape == (1, 6, 12)
    u8 = T.Resize((1, 4))(np.array([[[0, 255]]], np.uint8))
    assert u8.dtype == np.uint8 and u8[0, 0].tolist() == [0, 64, 191, 255]
    with pytest.raises(ValueError, match="interpolation"):
        T.Resize(4, interpolation="bicubic")


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("size", [(7, 3), (2, 9), (5, 5), (13, 17)])
def test_resize_matches_torch_interpolate(mode, size):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).random((2, 3, 6, 8))
    ref = torch.nn.functional.interpolate(torch.tensor(x), size=size, mode=mode,
                                          **({"align_corners": False} if mode != "nearest"
                                             else {}))
    np.testing.assert_allclose(T.Resize(size, interpolation=mode)(x), ref.numpy(), rtol=1e-12)


def test_center_crop_and_random_crop():
    x = image(h=5, w=5)
    np.testing.assert_array_equal(T.CenterCrop(3)(x), x[:, 1:4, 1:4])
    np.testing.assert_array_equal(T.CenterCrop((2, 4))(x), x[:, 2:4, 0:4])  # round(1.5) = 2
    big = T.CenterCrop(4)(np.ones((1, 2, 2)))
    np.testing.assert_array_equal(big[0], [[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0],
                                           [0, 0, 0, 0]])
    small = np.ones((1, 3, 3), np.float32)
    out = T.RandomCrop(5, pad_if_needed=True, fill=-1, seed=0)(small)
    assert out.shape == (1, 5, 5) and out.sum() == 9 - 16
    exact = T.RandomCrop((4, 5), seed=0)(image())
    np.testing.assert_array_equal(exact, image())


def test_flips():
    x = image()
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0, seed=0)(x), x[:, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=0.0, seed=0)(x), x)
    np.testing.assert_array_equal(F.vflip(x), x[:, ::-1])
    with pytest.raises(ValueError, match="p must lie"):
        T.RandomVerticalFlip(2.0)


def test_rotation_conventions_and_expand():
    x = image(h=4, w=4)
    np.testing.assert_array_equal(T.RandomRotation((90, 90), seed=0)(x), np.rot90(x, 1, (1, 2)))
    np.testing.assert_array_equal(F.affine(x, angle=90, interpolation="nearest"),
                                  np.rot90(x, -1, (1, 2)))  # torchvision: affine is clockwise
    wide = image(h=2, w=4)
    out = T.RandomRotation((90, 90), expand=True, seed=0)(wide)
    np.testing.assert_array_equal(out, np.rot90(wide, 1, (1, 2)))
    assert F.rotate(np.ones((1, 10, 10)), 45, expand=True).shape == (1, 16, 16)
    assert F.rotate(np.ones((1, 10, 10)), 0, expand=True).shape == (1, 10, 10)
    with pytest.raises(ValueError, match="one image at a time"):
        T.RandomRotation(10, expand=True, seed=0)(np.ones((2, 1, 4, 4)))


def test_rotation_about_a_corner():
    x = np.zeros((1, 3, 3), np.float32)
    x[0, 0, 1] = 1.0  # just right of the top-left pixel
    # torchvision centre (0.5, 0.5) is the middle of pixel (0, 0): a half turn moves the
    # pixel to column -1 (out of the image), a clockwise quarter turn to row 1, column 0
    out = F.rotate(x, 180, interpolation="nearest", center=(0.5, 0.5))
    assert out.sum() == 0.0
    out = F.rotate(x, -90, interpolation="nearest", center=(0.5, 0.5))
    assert out[0, 1, 0] == 1.0 and out.sum() == 1.0


def test_affine_shear_translate_scale():
    x = np.zeros((1, 3, 3), np.float32)
    x[0, 2, 1] = 1.0  # bottom middle
    out = F.affine(x, shear=[45.0, 0.0], interpolation="nearest")
    assert out[0, 2, 0] == 1.0 and out.sum() == 1.0  # torchvision: +sx moves rows below left
    rnd = T.RandomAffine(0, translate=(0.5, 0.0), seed=1)
    img = image(h=4, w=4)
    got = rnd(np.repeat(img[None], 8, axis=0))
    shifts = set()
    for g in got:
        matches = [dx for dx in range(-2, 3) if np.array_equal(g, F.translate(img, (dx, 0)))]
        assert len(matches) == 1
        shifts.add(matches[0])
    assert len(shifts) > 1
    zoom = T.RandomAffine(0, scale=(2.0, 2.0), seed=0)(np.ones((1, 4, 4)))
    np.testing.assert_array_equal(zoom, np.ones((1, 4, 4)))
    assert T.RandomAffine(5, shear=(-3, 3, -2, 2), seed=0)(img).shape == img.shape
    with pytest.raises(ValueError, match="between 0 and 1"):
        T.RandomAffine(0, translate=(2, 0))
    with pytest.raises(ValueError, match="scale range"):
        T.RandomAffine(0, scale=(0.0, 1.0))


def test_random_resized_crop():
    x = np.random.default_rng(0).random((3, 12, 12))
    whole = T.RandomResizedCrop(6, scale=(1.0, 1.0), ratio=(1.0, 1.0), seed=0)(x)
    np.testing.assert_allclose(whole, T.Resize(6)(x))
    out = T.RandomResizedCrop((5, 7), seed=0)(np.repeat(x[None], 4, axis=0))
    assert out.shape == (4, 3, 5, 7)
    assert len({o.tobytes() for o in out}) > 1
    with pytest.raises(ValueError, match="min, max"):
        T.RandomResizedCrop(4, scale=(1.0, 0.5))


def test_lambda_and_convert():
    assert T.Lambda(lambda v: v * 2)(3) == 6
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)
    f = T.ConvertImageDtype(np.float64)(np.array([255], np.uint8))
    assert f.dtype == np.float64 and f[0] == 1.0


class Augmented(Dataset):
    def __init__(self):
        self.t = T.Compose([T.RandomRotation(30), T.RandomHorizontalFlip()])

    def __len__(self):
        return 12

    def __getitem__(self, i):
        return self.t(image(h=6, w=6) + i), i


def test_random_transforms_in_workers_reproducible():
    def run():
        return [x.data.copy() for x, _ in DataLoader(Augmented(), batch_size=3, num_workers=2,
                                                     seed=0)]

    a, b = run(), run()
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
