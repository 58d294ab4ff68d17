// Standard normal quantile, shared by the samplers (internal header).
#pragma once

#include <cmath>

namespace autoglm::detail {

/// Acklam's rational approximation of the standard normal quantile Phi^-1(p) (P. J. Acklam,
/// "An algorithm for computing the inverse normal cumulative distribution function", 2003;
/// relative error ~1e-9), written in terms of y = log p (y <= 0) so that no tail underflows.
/// Callers that need full precision refine it (Halley or Newton steps).
inline double acklam_ndtri_exp(double y) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01,  -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  auto tail = [&](double q) {
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  };
  constexpr double kLogPLow = -3.7192944422;  // log(0.02425)
  if (y < kLogPLow) return tail(std::sqrt(-2.0 * y));
  const double one_minus_p = -std::expm1(y);
  if (one_minus_p < 0.02425) return -tail(std::sqrt(-2.0 * std::log(one_minus_p)));
  const double q = std::exp(y) - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

}  // namespace autoglm::detail
