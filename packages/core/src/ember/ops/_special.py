"""Special-function kernels on raw float arrays, for the elementwise ops of unary.py (and
GELU's erf): erf, erfc, erfinv, lgamma, digamma, polygamma, i0 and i1.

NumPy has no error function or gamma family, and the core does not depend on SciPy: the kernels
here (Cody's erf/erfc, a Newton-refined erfinv, Cephes-style lgamma, digamma and polygamma
through the Hurwitz zeta function, a series/asymptotic I1) are accurate to about 1e-15 relative
in float64. On CuPy, ``cupyx.scipy.special`` provides them.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as dt


def _special(xp, a, name, *args):
    """``name`` (a ``scipy.special`` name: erf, erfc, erfinv, gammaln, digamma, polygamma, i0,
    i1) of the float array ``a``; ``args`` are its extra parameters (polygamma's order)."""
    if a.dtype.kind == "c":
        raise NotImplementedError(
            f"{_OP_NAMES.get(name, name)}: not implemented for complex tensors "
            f"({dt.from_numpy_dtype(a.dtype).name})"
        )
    if a.dtype.itemsize < 4:  # float16/bfloat16: computed in float32, cast back by forward
        a = a.astype(np.float32)
    if xp is not np:
        from cupyx.scipy import special as cupy_special  # imported only when CuPy is in use

        fn = getattr(cupy_special, name)
        # cupyx's polygamma needs the order as an array (it calls ``(n == 0).astype``).
        return fn(xp.asarray(args[0]), a) if name == "polygamma" else fn(a)
    return _KERNELS[name](np, a, *args)


_OP_NAMES = {"gammaln": "lgamma"}


def _horner(x, coeffs):
    """``c0 x^n + c1 x^(n-1) + ... + cn`` (coefficients highest degree first, at least two);
    updated in place, so a long polynomial allocates one array instead of two per term."""
    acc = x * coeffs[0]
    acc += coeffs[1]
    for c in coeffs[2:]:
        acc *= x
        acc += c
    return acc


# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
# (1969): erf on |x| <= 0.46875, erfc * e^(x^2) on (0.46875, 4] and, in 1/x^2, beyond.
_CODY_A = (1.85777706184603153e-1, 3.16112374387056560e0, 1.13864154151050156e2,
           3.77485237685302021e2, 3.20937758913846947e3)
_CODY_B = (1.0, 2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3,
           2.84423683343917062e3)
_CODY_C = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e0,
           6.61191906371416295e1, 2.98635138197400131e2, 8.81952221241769090e2,
           1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3)
_CODY_D = (1.0, 1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2,
           1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3,
           3.43936767414372164e3, 1.23033935480374942e3)
_CODY_P = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
           1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4)
_CODY_Q = (1.0, 2.56852019228982242e0, 1.87295284992346047e0, 5.27905102951428412e-1,
           6.05183413124413191e-2, 2.33520497626869185e-3)
_INV_SQRT_PI = 1 / math.sqrt(math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _erf_pair(xp, x):
    """``(erf(x), erfc(x))``. Each of Cody's ranges is evaluated only on its own elements
    (boolean-mask gathers), which is ~10x faster than evaluating all three everywhere."""
    y = xp.abs(x)
    erf, erfc = xp.empty_like(x), xp.empty_like(x)
    inner = y <= 0.46875
    xi = x[inner]
    zi = xi * xi
    erf_inner = xi * _horner(zi, _CODY_A) / _horner(zi, _CODY_B)
    erf[inner], erfc[inner] = erf_inner, 1 - erf_inner
    outer = ~inner
    yo = y[outer]
    ratio = xp.empty_like(yo)
    mid = yo <= 4.0
    ym = yo[mid]
    ratio[mid] = _horner(ym, _CODY_C) / _horner(ym, _CODY_D)
    tail = ~mid
    yt = yo[tail]
    w = 1 / (yt * yt)
    ratio[tail] = (_INV_SQRT_PI - w * _horner(w, _CODY_P) / _horner(w, _CODY_Q)) / yt
    # e^(-y^2) as e^(-s^2) e^(-(y - s)(y + s)) with s = y cut to 1/16ths: s^2 is exact, so the
    # rounding error of y^2, which the exponential would amplify, never occurs (Cody)
    s = xp.trunc(yo * 16) / 16
    erfc_abs = xp.exp(-s * s) * xp.exp(-(yo - s) * (yo + s)) * ratio
    erfc_abs[yo >= 26.543] = 0  # underflow (Cody's xbig); also keeps inf - inf out
    negative = x[outer] < 0
    erf[outer] = xp.where(negative, erfc_abs - 1, 1 - erfc_abs)
    erfc[outer] = xp.where(negative, 2 - erfc_abs, erfc_abs)
    return erf, erfc


# Eigen's (and XLA's) fast float32 erf: x P(x^2) / Q(x^2) with x clamped to [-4, 4], beyond
# which erf is +-1 in float32. Within 7 float32 ulps (normal numbers), with no branches or
# exponentials: about 10x faster than Cody's ranges, which matters for GELU.
_ERF32_P = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
            -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
            -1.60960333262415e-02)
_ERF32_Q = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
            -7.37332916720468e-03, -1.42647390514189e-02)


def _erf(xp, x):
    if x.dtype == np.float32:
        c = xp.clip(x, -4.0, 4.0)
        z = c * c
        return c * _horner(z, _ERF32_P) / _horner(z, _ERF32_Q)
    return _erf_pair(xp, x)[0]


def _erfc(xp, x):
    return _erf_pair(xp, x)[1]


# M. Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011), single precision:
# a starting point good to ~1e-7 inside float32's range, refined by Newton steps below.
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                  0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _erfinv(xp, y):
    t = xp.abs(y)
    w = -xp.log((1 - t) * (1 + t))
    central = w < 5
    a = t * xp.where(
        central,
        _horner(xp.where(central, w, 5.0) - 2.5, _GILES_CENTRAL),
        _horner(xp.sqrt(xp.where(central, 5.0, w)) - 3, _GILES_TAIL),
    )
    # Newton on erf(a) = t in the centre and on log erfc(a) = log(1 - t) in the tail, where
    # 1 - t is exact and log erfc is nearly linear in a (so convergence stays quadratic even
    # from the rough start Giles' float32 fit gives next to 1 - 2^-53). Four steps reach
    # float64 precision everywhere.
    tail = t > 0.5
    log_q = xp.log(1 - t)
    for _ in range(4):
        erf_a, erfc_a = _erf_pair(xp, a)
        slope = _TWO_OVER_SQRT_PI * xp.exp(-a * a)
        central_step = (erf_a - t) / slope
        tail_step = (log_q - xp.log(erfc_a)) * erfc_a / slope
        a = a - xp.where(tail, tail_step, central_step)
    return xp.copysign(xp.where(t == 1, np.inf, a), y)  # NaN for |y| > 1 comes from the log


# Bernoulli numbers B_2, B_4, ..., B_24 (exact fractions, numerator / denominator).
_BERNOULLI = ((1, 6), (-1, 30), (1, 42), (-1, 30), (5, 66), (-691, 2730), (7, 6), (-3617, 510),
              (43867, 798), (-174611, 330), (854513, 138), (-236364091, 2730))
# Euler-Maclaurin tail of the Hurwitz zeta function: B_2j / (2j)!
_EM = tuple(p / q / math.factorial(2 * j + 2) for j, (p, q) in enumerate(_BERNOULLI))
# digamma's asymptotic series: psi(w) ~ log w - 1/(2w) - sum_j B_2j / (2j w^2j)
_PSI_ASYMPTOTIC = tuple(p / q / (2 * j + 2) for j, (p, q) in enumerate(_BERNOULLI[:8]))[::-1]


def _zeta(xp, s, q):
    """The Hurwitz zeta function ``sum_k (q + k)^-s`` for a number ``s > 1`` and ``q >= 0``:
    ten terms summed, the rest by Euler-Maclaurin from ``w = q + 10`` (as Cephes' ``zeta``)."""
    total = q**-s
    for k in range(1, 10):
        total = total + (q + k) ** -s
    w = q + 10
    b = w**-s
    total = total + w * b / (s - 1) + 0.5 * b
    rising = s  # s (s + 1) ... (s + 2j - 2)
    b = b / w
    inv_w2 = 1 / (w * w)
    for j, c in enumerate(_EM):
        total = total + c * rising * b
        rising = rising * (s + 2 * j + 1) * (s + 2 * j + 2)
        b = b * inv_w2
    return total


_EULER_GAMMA = 0.57721566490153286061
_PSI_ROOT = 1.4616321449683622  # the positive zero of digamma, rounded to float64
_PSI_AT_ROOT = -9.2412655217294275e-17  # digamma there (the rounding leaves a remainder)
_series_cache: dict = {}


def _taylor(name):
    """Taylor coefficients (highest order first) computed once from the zeta function:
    digamma about its positive root, psi(r + z) = psi(r) + sum_n (-1)^(n+1) zeta(n+1, r) z^n;
    lgamma about 1, lgamma(1 + t) = -gamma t + sum_k (-1)^k zeta(k) t^k / k."""
    if name not in _series_cache:
        if name == "digamma":
            r = np.array(_PSI_ROOT)
            coeffs = [(-1) ** (n + 1) * float(_zeta(np, n + 1, r)) for n in range(1, 30)]
        else:
            one = np.array(1.0)
            coeffs = [-_EULER_GAMMA]
            coeffs += [(-1) ** k * float(_zeta(np, k, one)) / k for k in range(2, 28)]
        _series_cache[name] = coeffs[::-1]
    return _series_cache[name]


def _digamma_nonnegative(xp, y):
    # psi(y) = psi(y + 10) - sum_{k<10} 1 / (y + k), then the asymptotic series at y + 10
    s = 1 / y
    for k in range(1, 10):
        s = s + 1 / (y + k)
    w = y + 10
    inv_w2 = 1 / (w * w)
    out = xp.log(w) - 0.5 / w - inv_w2 * _horner(inv_w2, _PSI_ASYMPTOTIC) - s
    # near the root the recurrence cancels to nothing: use the Taylor series there (as SciPy)
    z = y - _PSI_ROOT
    near = xp.abs(z) < 0.3
    if near.any():
        out = xp.where(near, z * _horner(z, _taylor("digamma")) + _PSI_AT_ROOT, out)
    return out


def _digamma(xp, x):
    negative = x < 0
    out = _digamma_nonnegative(xp, xp.where(negative, 1 - x, x))
    # reflection: psi(x) = psi(1 - x) - pi cot(pi x)
    out = xp.where(negative, out - math.pi * _cot_pi(xp, x), out)
    # poles: NaN at negative integers; at 0, -inf for +0 and +inf for -0 (1/y above)
    return xp.where(negative & (x == xp.round(x)), np.nan, out)


def _cot_pi(xp, x):
    """cot(pi x), with full relative precision near its poles (integers) and its zeros
    (half-integers): reduced by its period 1 to r in [-1/2, 1/2] (exactly), and past |r| = 1/4
    evaluated as tan(pi (1/2 - |r|)), whose argument is then exact too."""
    r = x - xp.round(x)
    a = xp.abs(r)
    c = xp.where(a <= 0.25, 1 / xp.tan(math.pi * a), xp.tan(math.pi * (0.5 - a)))
    return xp.copysign(c, r)


_cot_derivatives = {0: np.array([0.0, 1.0])}


def _cot_derivative(n):
    """Coefficients (lowest degree first) of P_n with d^n/dz^n cot z = P_n(cot z):
    P_0 = c and P_(k+1) = -(1 + c^2) P_k'(c), since cot' = -(1 + cot^2)."""
    if n not in _cot_derivatives:
        poly = np.polynomial.polynomial
        _cot_derivatives[n] = -poly.polymul([1.0, 0.0, 1.0], poly.polyder(_cot_derivative(n - 1)))
    return _cot_derivatives[n]


def _polygamma(xp, x, n):
    if n == 0:
        return _digamma(xp, x)
    # psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for x >= 0; reflection below 0:
    # psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot pi x)
    negative = x < 0
    sign = 1.0 if n % 2 else -1.0
    out = sign * math.factorial(n) * _zeta(xp, n + 1, xp.where(negative, 1 - x, x))
    coeffs = tuple(float(c) for c in _cot_derivative(n)[::-1])
    reflected = (-1) ** n * out - math.pi ** (n + 1) * _horner(_cot_pi(xp, x), coeffs)
    out = xp.where(negative, reflected, out)
    # poles at 0, -1, -2...: the limit from the right, (-1)^(n+1) inf (as PyTorch)
    return xp.where((x <= 0) & (x == xp.round(x)), sign * np.inf, out)


# Cephes lgam: Stirling's series for x >= 13, a rational function on [2, 3) otherwise.
_LGAM_STIRLING = (8.11614167470508450300e-4, -5.95061904284301438324e-4,
                  7.93650340457716943945e-4, -2.77777777730099687205e-3,
                  8.33333333333331927722e-2)
_LGAM_B = (-1.37825152569120859100e3, -3.88016315134637840924e4, -3.31612992738871184744e5,
           -1.16237097492762307383e6, -1.72173700820839662146e6, -8.53555664245765465627e5)
_LGAM_C = (1.0, -3.51815701436523470549e2, -1.70642106651881159223e4,
           -2.20528590553854454839e5, -1.13933444367982507207e6, -2.53252307177582951285e6,
           -2.01889141433532773231e6)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LOG_PI = math.log(math.pi)


def _lgamma_from_half(xp, y):
    """lgamma for y >= 0.5."""
    big = y >= 13
    yb = xp.where(big, y, 13.0)
    stirling = (yb - 0.5) * xp.log(yb) - yb + _LOG_SQRT_2PI
    stirling = stirling + _horner(1 / (yb * yb), _LGAM_STIRLING) / yb
    # shift into [2, 3): Gamma(y) = (y-1)(y-2)...(y-n) Gamma(y-n), or Gamma(y+k) / (y...)
    ys = xp.where(big, 2.5, y)
    n = xp.floor(ys) - 2  # -2 ... 10
    z = xp.where(n == -1, 1 / ys, xp.where(n == -2, 1 / (ys * (ys + 1)), 1.0))
    for k in range(1, 11):
        z = xp.where(n >= k, z * (ys - k), z)
    t = ys - n - 2
    out = xp.where(big, stirling, xp.log(z) + t * _horner(t, _LGAM_B) / _horner(t, _LGAM_C))
    # the zeros at 1 and 2 would be lost to cancellation: Taylor series there, with
    # lgamma(2 + t) = lgamma(1 + t) + log1p(t)
    below = y < 1.5
    t = xp.where(below, y - 1, y - 2)
    near = xp.abs(t) < 0.2
    if near.any():
        series = t * _horner(t, _taylor("lgamma"))
        series = xp.where(below, series, series + xp.log1p(t)) + 0.0  # lgamma(1) is +0
        out = xp.where(near, series, out)
    return xp.where(y == np.inf, np.inf, out)


def _lgamma(xp, x):
    reflect = x < 0.5
    out = _lgamma_from_half(xp, xp.where(reflect, 1 - x, x))
    # reflection: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x); inf at the poles
    s = xp.abs(xp.sin(math.pi * (x - xp.round(x))))
    out = xp.where(reflect, _LOG_PI - xp.log(s) - out, out)
    return xp.where(xp.isinf(x), np.inf, out)


def _i1(xp, x):
    """The modified Bessel function I1: its power series (all terms positive, so no
    cancellation) up to |x| = 25, Hankel's asymptotic expansion beyond."""
    y = xp.abs(x)
    small = y <= 25
    h = xp.where(small, y, 0.0) / 2
    q = h * h
    term = total = h  # sum_k (y/2)^(2k+1) / (k! (k+1)!)
    for k in range(1, 46):
        term = term * q / (k * (k + 1))
        total = total + term
    yl = xp.where(small, 30.0, y)
    term = acc = 1.0  # sum_k (-1)^k prod_j (4 - (2j-1)^2) / (k! (8y)^k)
    for k in range(1, 31):
        term = term * ((2 * k - 1) ** 2 - 4) / (8 * k * yl)
        acc = acc + term
    asymptotic = xp.exp(yl) / xp.sqrt(2 * math.pi * yl) * acc
    value = xp.where(small, total, asymptotic)
    return xp.where(x < 0, -value, value)  # odd


_KERNELS = {
    "erf": _erf,
    "erfc": _erfc,
    "erfinv": _erfinv,
    "gammaln": _lgamma,
    "digamma": _digamma,
    "polygamma": _polygamma,
    "i0": lambda xp, a: xp.i0(a),
    "i1": _i1,
}
