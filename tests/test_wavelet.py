"""Haar DWT / IDWT (lib.models.wavelet): SDWNet's sub-band order and scaling, checked against
PyWavelets, perfect reconstruction, the batch layout, jit, and bad inputs."""

import numpy as np
import paddle
import pytest

from lib.models.wavelet import DWT, IDWT, haar_dwt, haar_dwt_bands, haar_idwt, haar_idwt_bands

pywt = pytest.importorskip("pywt")


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def test_two_by_two_block_by_hand():
    # a b / c d = 1 2 / 3 4
    x = paddle.to_tensor(np.array([1, 2, 3, 4], "float32").reshape(1, 1, 2, 2))
    ll, hl, lh, hh = (float(b) for b in haar_dwt_bands(x))
    assert (ll, hl, lh, hh) == (5.0, 1.0, 2.0, 0.0)  # (a+b+c+d)/2, right-left, bottom-top, diagonal


@pytest.mark.parametrize("shape", [(2, 3, 6, 8), (1, 1, 10, 4), (1, 2, 2, 14)])
def test_subbands_match_pywavelets(shape):
    """The reference's sub-bands are pywt's with the same scale and two signs flipped:
    LL = cA, HL = -cV, LH = -cH, HH = cD."""
    x = rand(*shape)
    cA, (cH, cV, cD) = pywt.dwt2(x.astype("float64"), "haar")  # over the last two axes
    ll, hl, lh, hh = (b.numpy() for b in haar_dwt_bands(paddle.to_tensor(x)))
    tol = dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ll, cA, **tol)
    np.testing.assert_allclose(hl, -cV, **tol)
    np.testing.assert_allclose(lh, -cH, **tol)
    np.testing.assert_allclose(hh, cD, **tol)
    # ... and the inverse is pywt's inverse under the same mapping.
    back = haar_idwt_bands(*(paddle.to_tensor(b.astype("float32")) for b in (cA, -cV, -cH, cD)))
    np.testing.assert_allclose(back.numpy(), pywt.idwt2((cA, (cH, cV, cD)), "haar"), **tol)


def test_orthonormal_energy_is_kept():
    x = rand(2, 3, 8, 6)
    bands = haar_dwt_bands(paddle.to_tensor(x))
    energy = sum(float((b**2).sum()) for b in bands)
    np.testing.assert_allclose(energy, float((x.astype("float64") ** 2).sum()), rtol=1e-5)


def test_batch_layout_is_ll_hl_lh_hh_blocks():
    """As in the reference: the 4 sub-bands of all N images are stacked on the batch axis,
    band-major (LL of every image, then HL ...), so the branch's convs share weights across bands."""
    x = paddle.to_tensor(rand(3, 2, 4, 6))
    stacked = haar_dwt(x)
    assert list(stacked.shape) == [12, 2, 2, 3]
    for k, band in enumerate(haar_dwt_bands(x)):
        np.testing.assert_array_equal(stacked[3 * k : 3 * (k + 1)].numpy(), band.numpy())


@pytest.mark.parametrize("shape", [(1, 3, 2, 2), (2, 3, 16, 10), (3, 1, 6, 30)])
def test_perfect_reconstruction(shape):
    x = paddle.to_tensor(rand(*shape))
    np.testing.assert_allclose(haar_idwt(haar_dwt(x)).numpy(), x.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(haar_idwt_bands(*haar_dwt_bands(x)).numpy(), x.numpy(), rtol=1e-5, atol=1e-5)
    # A bijection: the other way round too.
    y = paddle.to_tensor(rand(4 * shape[0], shape[1], shape[2] // 2, shape[3] // 2, seed=1))
    np.testing.assert_allclose(haar_dwt(haar_idwt(y)).numpy(), y.numpy(), rtol=1e-5, atol=1e-5)


def test_layers_have_no_parameters_and_match_functions():
    dwt, idwt = DWT(), IDWT()
    assert not dwt.parameters() and not idwt.parameters()
    x = paddle.to_tensor(rand(2, 3, 8, 8))
    np.testing.assert_array_equal(dwt(x).numpy(), haar_dwt(x).numpy())
    np.testing.assert_allclose(idwt(dwt(x)).numpy(), x.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(2, 3, 6, 8), (1, 56, 64, 64), (3, 1, 2, 14)])
def test_convolution_form_equals_the_band_formulas(shape):
    """haar_dwt / haar_idwt (strided convolutions) against the reference's formulas, values and gradients."""
    x = paddle.to_tensor(rand(*shape), stop_gradient=False)
    fast = haar_dwt(x)
    formula = paddle.concat(haar_dwt_bands(x), axis=0)
    np.testing.assert_allclose(fast.numpy(), formula.numpy(), rtol=1e-5, atol=1e-5)
    weight = paddle.to_tensor(rand(*fast.shape, seed=1))
    (grad_fast,) = paddle.grad((fast * weight).sum(), x)
    (grad_formula,) = paddle.grad((formula * weight).sum(), x)
    np.testing.assert_allclose(grad_fast.numpy(), grad_formula.numpy(), rtol=1e-5, atol=1e-5)

    bands = paddle.to_tensor(rand(4 * shape[0], *shape[1:3], shape[3] // 2 * 2, seed=2))
    n = shape[0]
    expected = haar_idwt_bands(*(bands[i * n : (i + 1) * n] for i in range(4)))
    np.testing.assert_allclose(haar_idwt(bands).numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_gradient_passes_through():
    x = paddle.to_tensor(rand(1, 2, 4, 4), stop_gradient=False)
    (haar_idwt(haar_dwt(x) * 3.0)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((1, 2, 4, 4), 3.0), rtol=1e-6)


def test_to_static_with_dynamic_shape():
    from paddle.static import InputSpec

    def roundtrip(x):
        return haar_idwt(haar_dwt(x) * 2.0)

    static = paddle.jit.to_static(roundtrip, input_spec=[InputSpec([None, 2, None, None], "float32")], full_graph=True)
    for shape in [(1, 2, 4, 6), (3, 2, 10, 2)]:
        x = paddle.to_tensor(rand(*shape))
        np.testing.assert_allclose(static(x).numpy(), 2 * x.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "shape, message",
    [
        ((1, 3, 5, 8), "height must be even"),
        ((1, 3, 8, 7), "width must be even"),
        ((1, 3, 7, 7), "height and width must be even"),
        ((3, 8, 8), "N x C x H x W"),
        ((1, 1, 3, 8, 8), "N x C x H x W"),
    ],
)
def test_bad_dwt_input(shape, message):
    with pytest.raises(ValueError, match=message):
        haar_dwt(paddle.zeros(list(shape)))


def test_bad_idwt_input():
    with pytest.raises(ValueError, match="multiple of 4"):
        haar_idwt(paddle.zeros([6, 3, 4, 4]))
    with pytest.raises(ValueError, match="N x C x H x W"):
        haar_idwt(paddle.zeros([4, 4, 4]))
