"""nn.data.transforms: geometry against exact references, seeding, batch behaviour."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from nn.data import transforms as T


def img(c=1, h=8, w=8, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).random((c, h, w)).astype(dtype)


def batch(n=5, c=2, h=9, w=9, seed=0):
    return np.random.default_rng(seed).random((n, c, h, w)).astype(np.float32)


def shifted(x, dx, dy):
    """Reference integer shift with zero fill."""
    out = np.zeros_like(x)
    h, w = x.shape[-2:]
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[..., yd, xd] = x[..., ys, xs]
    return out


# ----------------------------------------------------------------------------- deterministic


def test_normalize_per_channel_and_errors():
    x = img(c=3)
    out = T.Normalize([0.5, 0.1, 0.2], [0.5, 2.0, 1.0])(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[1], (x[1] - 0.1) / 2.0, rtol=1e-6)
    np.testing.assert_allclose(T.normalize(x[None], 0.5, 0.5)[0], (x - 0.5) / 0.5, rtol=1e-6)
    with pytest.raises(ValueError, match="mean has 2 values for 3 channels"):
        T.normalize(x, [0.1, 0.2], 1.0)
    with pytest.raises(ValueError, match="std must be non-zero"):
        T.normalize(x, 0.0, 0.0)


def test_pad_and_crop():
    x = img(c=2, h=4, w=5)
    p = T.Pad(2)(x)
    assert p.shape == (2, 8, 9) and p.dtype == x.dtype
    np.testing.assert_array_equal(p[:, 2:6, 2:7], x)
    assert p[:, :2].sum() == 0
    p2 = T.pad(x, (1, 0, 3, 2), fill=7)  # left, top, right, bottom
    assert p2.shape == (2, 6, 9) and p2[0, 0, 0] == 7 and p2[0, -1, -1] == 7
    np.testing.assert_array_equal(T.crop(p, 2, 2, 4, 5), x)
    with pytest.raises(ValueError, match="does not fit"):
        T.crop(x, 1, 1, 4, 5)
    with pytest.raises(ValueError, match="non-negative"):
        T.Pad(-1)


def test_hflip():
    x = img(c=3)
    np.testing.assert_array_equal(T.hflip(x), x[..., ::-1])
    assert T.RandomHorizontalFlip(p=1.0, seed=0)(x).tolist() == x[..., ::-1].tolist()
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0, seed=0)(x), x)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_rotation_by_right_angles_is_exact(k):
    x = img(c=2, h=7, w=7)
    np.testing.assert_allclose(T.rotate(x, 90 * k), np.rot90(x, k, axes=(1, 2)), atol=1e-6)


def test_positive_rotation_is_counter_clockwise():
    x = np.zeros((1, 5, 5), np.float32)
    x[0, 2, 4] = 1.0  # right of centre
    out = T.rotate(x, 90)
    assert out[0, 0, 2] == pytest.approx(1.0)  # now above centre


@pytest.mark.parametrize("dx, dy", [(2, 0), (0, -3), (1, 2), (-2, -1)])
def test_integer_translation_is_an_exact_shift(dx, dy):
    x = batch(n=2, c=3, h=6, w=7)
    np.testing.assert_allclose(T.translate(x, (dx, dy)), shifted(x, dx, dy), atol=1e-6)


def test_half_pixel_translation_is_bilinear():
    x = np.zeros((1, 1, 5), np.float32)
    x[0, 0, 2] = 1.0
    out = T.translate(x, (0.5, 0.0))
    np.testing.assert_allclose(out[0, 0], [0, 0, 0.5, 0.5, 0], atol=1e-6)


def test_identity_affine_and_dtype_rules():
    x = img(c=3)
    np.testing.assert_allclose(T.affine(x), x, atol=1e-6)
    assert T.affine(x.astype(np.float64)).dtype == np.float64
    u8 = (x * 255).astype(np.uint8)
    out = T.rotate(u8, 0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, u8, atol=1e-4)


def test_scale_about_centre():
    x = np.zeros((1, 9, 9), np.float32)
    x[0, 4, 6] = 1.0  # 2 px right of centre
    out = T.scale(x, 2.0)
    assert out[0, 4, 8] == pytest.approx(1.0)  # 4 px right of centre
    np.testing.assert_allclose(T.scale(x, 1.0), x, atol=1e-6)
    with pytest.raises(ValueError, match="scale must be positive"):
        T.scale(x, 0.0)


def test_shear_moves_rows_by_tan_times_height():
    x = np.zeros((1, 9, 9), np.float32)
    x[0, 4, 4] = 1.0  # centre: fixed
    x[0, 6, 4] = 1.0  # 2 rows below centre: moves 2 * tan(45) = 2 px right
    out = T.shear(x, 45.0)
    assert out[0, 4, 4] == pytest.approx(1.0)
    assert out[0, 6, 6] == pytest.approx(1.0)
    assert out.sum() == pytest.approx(2.0, abs=1e-5)


def test_fill_value_outside():
    x = np.ones((1, 4, 4), np.float32)
    out = T.translate(x, (2, 0), fill=-1.0)
    np.testing.assert_array_equal(out[0, :, :2], -1.0)
    np.testing.assert_array_equal(out[0, :, 2:], 1.0)


def test_shapes_2d_3d_4d_and_bad_ndim():
    for shape in [(6, 6), (2, 6, 6), (3, 2, 6, 6)]:
        x = np.ones(shape, np.float32)
        assert T.rotate(x, 10).shape == shape
        assert T.RandomCrop(4, padding=1, seed=0)(x).shape == shape[:-2] + (4, 4)
    with pytest.raises(ValueError, match=r"got shape \(6,\)"):
        T.rotate(np.ones(6), 10)


def test_to_float_and_to_tensor():
    u8 = np.array([[0, 255], [51, 102]], np.uint8)
    f = T.ToFloat()(u8)
    assert f.dtype == np.float32
    np.testing.assert_allclose(f, [[0, 1], [0.2, 0.4]], rtol=1e-6)
    assert T.to_float(np.arange(3), np.float64).dtype == np.float64
    with pytest.raises(TypeError, match="float dtype"):
        T.ToFloat(np.int32)
    t = T.ToTensor()(np.zeros((5, 4, 3), np.uint8))
    assert t.shape == (3, 5, 4) and t.data.dtype == np.float32


# ----------------------------------------------------------------------------- random


def test_random_crop_with_padding_keeps_content_windows():
    x = batch(n=20, c=2, h=6, w=6)
    out = T.RandomCrop(6, padding=2, seed=0)(x)
    padded = T.pad(x, 2)
    for i in range(20):
        hits = [
            (a, b)
            for a in range(5)
            for b in range(5)
            if np.array_equal(padded[i, :, a : a + 6, b : b + 6], out[i])
        ]
        assert hits, f"sample {i} is not a window of its padded image"
    offsets = {
        next(
            (a, b)
            for a in range(5)
            for b in range(5)
            if np.array_equal(padded[i, :, a : a + 6, b : b + 6], out[i])
        )
        for i in range(20)
    }
    assert len(offsets) > 3  # per-sample offsets, not one per batch


@pytest.mark.parametrize(
    "make",
    [
        lambda s: T.RandomTranslation(2, seed=s),
        lambda s: T.RandomTranslation(1.5, seed=s),
        lambda s: T.RandomRotation(20, seed=s),
        lambda s: T.RandomScale((0.8, 1.2), seed=s),
        lambda s: T.RandomShear(15, seed=s),
        lambda s: T.RandomHorizontalFlip(seed=s),
        lambda s: T.RandomCrop(7, padding=1, seed=s),
        lambda s: T.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5, seed=s),
    ],
)
def test_random_transforms_are_seeded_and_per_sample(make):
    x = batch(n=16)
    a, b, c = make(0)(x), make(0)(x), make(1)(x)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # per-sample parameters: 16 copies of one image come out differently
    same = np.repeat(x[:1], 16, axis=0)
    out = make(0)(same)
    assert len({out[i].tobytes() for i in range(16)}) > 1


def test_rng_argument_and_shared_generator():
    x = batch(n=4)
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(T.RandomRotation(30, rng=g1)(x), T.RandomRotation(30, rng=g2)(x))
    ag.manual_seed(3)
    a = T.RandomRotation(30)(x)
    ag.manual_seed(3)
    np.testing.assert_array_equal(a, T.RandomRotation(30)(x))
    with pytest.raises(ValueError, match="either rng or seed"):
        T.RandomRotation(30, rng=g1, seed=1)


def test_random_argument_validation():
    with pytest.raises(ValueError, match="lo > hi"):
        T.RandomRotation((10, -10))
    with pytest.raises(ValueError, match="strictly between -90 and 90"):
        T.RandomShear(90)
    with pytest.raises(ValueError, match="0 < lo <= hi"):
        T.RandomScale((0.0, 1.0))
    with pytest.raises(ValueError, match="p must lie in"):
        T.RandomHorizontalFlip(1.5)


def test_compose_and_batch_flag():
    pipeline = T.Compose([T.RandomRotation(10, seed=0), T.Normalize(0.5, 0.25)])
    assert pipeline.supports_batch
    out = pipeline(img())
    assert out.shape == (1, 8, 8) and out.dtype == np.float32
    assert not T.Compose([T.ToTensor()]).supports_batch
    assert "Normalize" in repr(pipeline)


def test_affine_is_vectorized_fast_enough():
    import time

    x = np.random.default_rng(0).random((512, 1, 28, 28)).astype(np.float32)
    aug = T.RandomAffine(15, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=10, seed=0)
    start = time.perf_counter()
    out = aug(x)
    assert out.shape == x.shape
    assert time.perf_counter() - start < 2.0
