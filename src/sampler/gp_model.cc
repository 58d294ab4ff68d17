// Gaussian-process regression (Matern 5/2 ARD kernel, MAP hyperparameters by L-BFGS-B) and the
// numerically stable log expected improvement of Ament et al. 2023; see gp_model.h.
#include "sampler/gp_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <LBFGSB.h>

namespace autoglm::gp {

namespace {

constexpr double kSqrt5 = 2.23606797749978969641;
constexpr double kLog2Pi = 1.83787706640934548356;       // log(2 pi)
constexpr double kSqrtPi = 1.77245385090551602730;
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1 / sqrt(2 pi)
constexpr double kSqrtPiOver2 = 1.25331413731550025121;  // sqrt(pi / 2)

/// K_ij = s2 m52(r2(A_i, B_j)), shape (a x b), and with `dK` (if given) s2 m52'(r2(A_i, B_j)).
/// Computed 32 columns at a time (the squared distances accumulated one dimension at a time
/// over contiguous columns), so that the temporaries stay in cache and Eigen vectorizes the
/// square roots and exponentials.
void matern_kernel(const Eigen::MatrixXd& A, const Eigen::Ref<const Eigen::MatrixXd>& B, const std::vector<bool>& categorical,
                   const Eigen::VectorXd& lambda, double s2, Eigen::MatrixXd& K, Eigen::MatrixXd* dK) {
  constexpr Eigen::Index kBlock = 32;
  const Eigen::Index a = A.cols(), b = B.cols(), d = A.rows();
  const Eigen::MatrixXd At = A.transpose();  // (a x d): a dimension's coordinates are contiguous
  K.resize(a, b);
  if (dK) dK->resize(a, b);
  // K(A, A) is symmetric: only the rows from the block's first column down are computed.
  const bool symmetric = A.cols() == B.cols() && A.data() == B.data();
  Eigen::ArrayXXd R(a, kBlock), S(a, kBlock), E(a, kBlock);
  for (Eigen::Index j0 = 0; j0 < b; j0 += kBlock) {
    const Eigen::Index w = std::min(kBlock, b - j0);
    const Eigen::Index i0 = symmetric ? j0 : 0, h = a - i0;
    auto Rb = R.topLeftCorner(h, w);
    Rb.setZero();
    for (Eigen::Index k = 0; k < d; ++k) {
      const double l = lambda[k];
      const auto col = At.col(k).segment(i0, h).array();
      if (categorical[static_cast<size_t>(k)]) {
        for (Eigen::Index j = 0; j < w; ++j) Rb.col(j) += l * (col != B(k, j0 + j)).cast<double>();
      } else {
        for (Eigen::Index j = 0; j < w; ++j) Rb.col(j) += l * (col - B(k, j0 + j)).square();
      }
    }
    auto Sb = S.topLeftCorner(h, w);
    auto Eb = E.topLeftCorner(h, w);
    Sb = (5.0 * Rb).sqrt();
    Eb = (-Sb).exp();
    K.block(i0, j0, h, w).array() = s2 * (1.0 + Sb + (5.0 / 3.0) * Rb) * Eb;
    if (dK) dK->block(i0, j0, h, w).array() = (-5.0 / 6.0 * s2) * (1.0 + Sb) * Eb;
  }
  if (symmetric) {
    for (Eigen::Index j = 1; j < b; ++j)
      for (Eigen::Index i = 0; i < j; ++i) {
        K(i, j) = K(j, i);
        if (dK) (*dK)(i, j) = (*dK)(j, i);
      }
  }
}

/// In-place inverse of the lower triangle of L (the strict upper triangle is left as it is):
/// for L = [A 0; B C], L^-1 = [A^-1 0; -C^-1 B A^-1  C^-1], recursively, so n^3/6
/// multiply-adds in triangular products instead of the n^3/2 of a solve against the identity
/// (3x faster at n = 200).
void invert_lower_in_place(Eigen::Ref<Eigen::MatrixXd> L) {
  const Eigen::Index n = L.rows();
  if (n <= 32) {
    Eigen::MatrixXd I = Eigen::MatrixXd::Identity(n, n);
    L.triangularView<Eigen::Lower>().solveInPlace(I);
    L.triangularView<Eigen::Lower>() = I;
    return;
  }
  const Eigen::Index h = n / 2;
  auto A = L.topLeftCorner(h, h);
  auto B = L.bottomLeftCorner(n - h, h);
  auto C = L.bottomRightCorner(n - h, n - h);
  invert_lower_in_place(A);
  Eigen::MatrixXd T = B * A.triangularView<Eigen::Lower>();  // B A^-1
  C.triangularView<Eigen::Lower>().solveInPlace(T);          // C^-1 B A^-1
  B = -T;
  invert_lower_in_place(C);
}

/// L^-1 (lower triangular, zeros above the diagonal) from the Cholesky factor L of K = L L^T.
void inverse_factor(const Eigen::LLT<Eigen::MatrixXd>& llt, Eigen::MatrixXd& Linv) {
  Linv = llt.matrixLLT();
  invert_lower_in_place(Linv);
  Linv.triangularView<Eigen::StrictlyUpper>().setZero();
}

/// log(1 - exp(x)) for x < 0 (Maechler 2012, "Accurately computing log(1 - exp(-|a|))").
double log1mexp(double x) { return x > -M_LN2 ? std::log(-std::expm1(x)) : std::log1p(-std::exp(x)); }

/// Below this z, h(z) = phi(z) / z^2 (1 - 3/z^2 + 15/z^4 - 105/z^6 + ...) is used (the terms left
/// out are below 1e-18 relative). Ament et al. switch at -1/sqrt(eps) with the leading term only;
/// switching earlier keeps the erfcx branch away from 1 - exp(x) with x rounding to 0.
constexpr double kAsymptoticZ = -1e3;

struct LogHParts {
  double log_h;      // log h(z)
  double phi_ratio;  // Phi(z) / h(z) = d log h / dz
  double pdf_ratio;  // phi(z) / h(z)
};

LogHParts log_h_parts(double z) {
  if (z > -1.0) {
    const double pdf = kInvSqrt2Pi * std::exp(-0.5 * z * z);
    const double cdf = 0.5 * std::erfc(-z * kInvSqrt2);
    const double h = pdf + z * cdf;
    return {std::log(h), cdf / h, pdf / h};
  }
  const double log_pdf = -0.5 * z * z - 0.5 * kLog2Pi;
  if (z > kAsymptoticZ) {
    // h = phi(z) (1 - |z| q), q = Phi(z) / phi(z) = sqrt(pi/2) erfcx(-z / sqrt 2).
    const double q = kSqrtPiOver2 * erfcx(-z * kInvSqrt2);
    const double t = log1mexp(std::log(q * -z));  // log(1 - |z| q) = log(h / phi)
    return {log_pdf + t, q * std::exp(-t), std::exp(-t)};
  }
  const double w = 1.0 / (z * z);
  const double series_h = 1.0 + w * (-3.0 + w * (15.0 + w * -105.0));      // h z^2 / phi
  const double series_cdf = 1.0 + w * (-1.0 + w * (3.0 + w * -15.0));      // Phi |z| / phi
  return {log_pdf - 2.0 * std::log(-z) + std::log(series_h), -z * series_cdf / series_h, z * z / series_h};
}

/// The LBFGS++ objective for fit_kernel_params: -(log likelihood + log prior) over the free
/// entries of theta, remembering the best point evaluated (a failed line search leaves the
/// solver's x anywhere).
class NegLogPosterior {
 public:
  NegLogPosterior(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const std::vector<bool>& categorical,
                  const FitOptions& options)
      : X_(X), y_(y), categorical_(categorical), options_(options), dims_(static_cast<int>(X.rows())) {}

  int free_size() const { return dims_ + (options_.fix_noise ? 1 : 2); }
  Eigen::VectorXd full(const Eigen::VectorXd& x) const {
    Eigen::VectorXd theta(dims_ + 2);
    theta.head(free_size()) = x;
    if (options_.fix_noise) theta[dims_ + 1] = std::log(options_.min_noise);
    return theta;
  }

  double operator()(const Eigen::VectorXd& x, Eigen::VectorXd& grad) {
    ++evaluations_;
    const KernelParams p = KernelParams::from_log(full(x));
    Eigen::VectorXd g_lml, g_prior;
    const double value = -(log_marginal_likelihood(X_, y_, categorical_, p, &g_lml, &workspace_) + log_prior(p, &g_prior));
    if (!std::isfinite(value) || !g_lml.allFinite()) {
      grad.setZero();
      return 1e30;  // finite, so that the line search backs off instead of interpolating infinities
    }
    grad = -(g_lml + g_prior).head(free_size());
    if (value < best_value_) {
      best_value_ = value;
      best_x_ = x;
    }
    return value;
  }

  double best_value() const { return best_value_; }
  const Eigen::VectorXd& best_x() const { return best_x_; }
  int evaluations() const { return evaluations_; }

 private:
  const Eigen::MatrixXd& X_;
  const Eigen::VectorXd& y_;
  const std::vector<bool>& categorical_;
  const FitOptions& options_;
  const int dims_;
  double best_value_ = std::numeric_limits<double>::infinity();
  Eigen::VectorXd best_x_;
  int evaluations_ = 0;
  LikelihoodWorkspace workspace_;
};

}  // namespace

Eigen::VectorXd KernelParams::to_log() const {
  const Eigen::Index d = inverse_squared_lengthscales.size();
  Eigen::VectorXd theta(d + 2);
  theta.head(d) = inverse_squared_lengthscales.array().log().matrix();
  theta[d] = std::log(signal_variance);
  theta[d + 1] = std::log(noise_variance);
  return theta;
}

KernelParams KernelParams::from_log(const Eigen::VectorXd& theta) {
  const Eigen::Index d = theta.size() - 2;
  KernelParams p;
  p.inverse_squared_lengthscales = theta.head(d).array().exp().matrix();
  p.signal_variance = std::exp(theta[d]);
  p.noise_variance = std::exp(theta[d + 1]);
  return p;
}

double matern52(double r2) {
  const double s = kSqrt5 * std::sqrt(r2);
  return (1.0 + s + (5.0 / 3.0) * r2) * std::exp(-s);
}

double matern52_grad(double r2) {
  const double s = kSqrt5 * std::sqrt(r2);
  return (-5.0 / 6.0) * (1.0 + s) * std::exp(-s);
}

Eigen::MatrixXd kernel_matrix(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, const std::vector<bool>& categorical,
                              const KernelParams& p) {
  Eigen::MatrixXd K;
  matern_kernel(A, B, categorical, p.inverse_squared_lengthscales, p.signal_variance, K, nullptr);
  return K;
}

bool factorize(const Eigen::MatrixXd& K_plus_noise, Eigen::LLT<Eigen::MatrixXd>& llt, double signal_variance) {
  llt.compute(K_plus_noise);
  if (llt.info() == Eigen::Success && llt.matrixLLT().diagonal().allFinite()) return true;
  const Eigen::Index n = K_plus_noise.rows();
  for (double jitter = 1e-9 * signal_variance; jitter <= 0.1 * signal_variance * 1.0001; jitter *= 10.0) {
    llt.compute(K_plus_noise + jitter * Eigen::MatrixXd::Identity(n, n));
    if (llt.info() == Eigen::Success && llt.matrixLLT().diagonal().allFinite()) return true;
  }
  return false;
}

double log_marginal_likelihood(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const std::vector<bool>& categorical,
                               const KernelParams& p, Eigen::VectorXd* grad, LikelihoodWorkspace* workspace) {
  LikelihoodWorkspace local;
  LikelihoodWorkspace& ws = workspace ? *workspace : local;
  const Eigen::Index n = X.cols(), d = X.rows();
  const Eigen::VectorXd& lambda = p.inverse_squared_lengthscales;
  matern_kernel(X, X, categorical, lambda, p.signal_variance, ws.K, grad ? &ws.dK : nullptr);
  ws.Kn = ws.K;
  ws.Kn.diagonal().array() += p.noise_variance;
  if (!factorize(ws.Kn, ws.llt, p.signal_variance)) {
    if (grad) *grad = Eigen::VectorXd::Zero(d + 2);
    return -std::numeric_limits<double>::infinity();
  }
  const Eigen::VectorXd alpha = ws.llt.solve(y);
  const double log_det = 2.0 * ws.llt.matrixLLT().diagonal().array().log().sum();
  const double lml = -0.5 * y.dot(alpha) - 0.5 * log_det - 0.5 * static_cast<double>(n) * kLog2Pi;
  if (!grad) return lml;

  // W = alpha alpha^T - K^-1 (K^-1 = L^-T L^-1); dL/dtheta_j = 1/2 sum_ij W_ij (dK/dtheta_j)_ij.
  // The buffers of `ws` keep their storage across calls of the same size.
  inverse_factor(ws.llt, ws.Linv);
  ws.W.resize(n, n);
  ws.W.noalias() = ws.Linv.triangularView<Eigen::Lower>().transpose() * ws.Linv;  // K^-1
  ws.W = -ws.W;
  ws.W.noalias() += alpha * alpha.transpose();
  grad->setZero(d + 2);
  // Lengthscales: dK_ij / dlog lambda_k = lambda_k s2 m52'(r2_ij) delta_k(i, j). With the
  // symmetric G = W o s2 m52'(R): sum_ij G_ij (x_ki - x_kj)^2 = 2 (x_k^2 . G 1 - x_k . G x_k).
  ws.G.resize(n, n);
  ws.G.array() = ws.W.array() * ws.dK.array();
  const Eigen::VectorXd g1 = ws.G.rowwise().sum();
  ws.XG.resize(d, n);
  ws.XG.noalias() = X * ws.G;
  for (Eigen::Index k = 0; k < d; ++k) {
    double acc = 0.0;
    if (categorical[static_cast<size_t>(k)]) {
      for (Eigen::Index j = 0; j < n; ++j)
        for (Eigen::Index i = 0; i < n; ++i) acc += X(k, i) != X(k, j) ? ws.G(i, j) : 0.0;
    } else {
      acc = 2.0 * (X.row(k).array().square().matrix().dot(g1) - X.row(k).dot(ws.XG.row(k)));
    }
    (*grad)[k] = 0.5 * lambda[k] * acc;
  }
  (*grad)[d] = 0.5 * (ws.W.array() * ws.K.array()).sum();  // dK/dlog s2 = K (noise-free)
  (*grad)[d + 1] = 0.5 * p.noise_variance * ws.W.trace();    // dK/dlog noise = noise I
  return lml;
}

double log_prior(const KernelParams& p, Eigen::VectorXd* grad) {
  const Eigen::Index d = p.inverse_squared_lengthscales.size();
  const Eigen::ArrayXd lam = p.inverse_squared_lengthscales.array();
  const double s = p.signal_variance, v = p.noise_variance;
  const double value = -(0.1 / lam + 0.1 * lam).sum() + (std::log(s) - s) + (0.1 * std::log(v) - 30.0 * v);
  if (grad) {
    grad->resize(d + 2);
    grad->head(d) = (0.1 / lam - 0.1 * lam).matrix();  // lambda * d/dlambda
    (*grad)[d] = 1.0 - s;
    (*grad)[d + 1] = 0.1 - 30.0 * v;
  }
  return value;
}

void theta_bounds(int dims, const FitOptions& options, Eigen::VectorXd& lower, Eigen::VectorXd& upper) {
  lower.resize(dims + 2);
  upper.resize(dims + 2);
  lower.head(dims).setConstant(std::log(1e-4));
  upper.head(dims).setConstant(std::log(1e4));
  lower[dims] = std::log(1e-3);
  upper[dims] = std::log(1e3);
  lower[dims + 1] = std::log(options.min_noise);
  upper[dims + 1] = std::max(std::log(10.0), lower[dims + 1]);
}

KernelParams fit_kernel_params(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const std::vector<bool>& categorical,
                               const std::vector<Eigen::VectorXd>& starts, const FitOptions& options, double* best_value,
                               int* evaluations) {
  const int dims = static_cast<int>(X.rows());
  Eigen::VectorXd lower, upper;
  theta_bounds(dims, options, lower, upper);
  NegLogPosterior f(X, y, categorical, options);
  const int m = f.free_size();
  const Eigen::VectorXd lb = lower.head(m), ub = upper.head(m);

  LBFGSpp::LBFGSBParam<double> param;
  // Stop when an iteration improves the log posterior by less than 1e-6 of its magnitude (at
  // n = 200 about 1e-4 nats: the hyperparameters are then settled far beyond what matters for
  // the acquisition), or when the projected gradient vanishes.
  param.m = 10;
  param.epsilon = 1e-4;
  param.epsilon_rel = 0.0;
  param.past = 1;
  param.delta = 1e-6;
  param.max_iterations = std::max(1, options.max_iterations);
  LBFGSpp::LBFGSBSolver<double> solver(param);
  for (const auto& start : starts) {
    Eigen::VectorXd x = start.head(m).cwiseMax(lb).cwiseMin(ub);
    double fx = 0.0;
    try {
      solver.minimize(f, x, fx, lb, ub);
    } catch (const std::exception&) {
      // Line-search failures (e.g. at a flat or noisy optimum): f kept the best point evaluated.
    }
  }
  if (evaluations) *evaluations = f.evaluations();
  if (f.best_x().size() == 0) {  // nothing finite was evaluated: the first start, clipped
    if (best_value) *best_value = -std::numeric_limits<double>::infinity();
    Eigen::VectorXd x = starts.empty() ? Eigen::VectorXd(((lb + ub) / 2).eval()) : starts.front().head(m);
    return KernelParams::from_log(f.full(x.cwiseMax(lb).cwiseMin(ub)));
  }
  if (best_value) *best_value = -f.best_value();
  return KernelParams::from_log(f.full(f.best_x()));
}

GPRegressor::GPRegressor(Eigen::MatrixXd X, Eigen::VectorXd y, std::vector<bool> categorical, KernelParams params)
    : X_(std::move(X)), y_(std::move(y)), categorical_(std::move(categorical)), params_(std::move(params)) {
  Eigen::MatrixXd K = kernel_matrix(X_, X_, categorical_, params_);
  K.diagonal().array() += params_.noise_variance;
  Eigen::LLT<Eigen::MatrixXd> llt;
  if (!factorize(K, llt, params_.signal_variance))
    throw std::runtime_error("GP: the kernel matrix is not positive definite even with jitter");
  alpha_ = llt.solve(y_);
  inverse_factor(llt, Linv_);
}

void GPRegressor::posterior(const Eigen::MatrixXd& Q, Eigen::VectorXd& mean, Eigen::VectorXd& variance) const {
  constexpr Eigen::Index kBlock = 128;  // query points per block (keeps the temporaries small)
  const Eigen::Index m = Q.cols();
  mean.resize(m);
  variance.resize(m);
  Eigen::MatrixXd Ks, V;
  for (Eigen::Index j0 = 0; j0 < m; j0 += kBlock) {
    const Eigen::Index w = std::min(kBlock, m - j0);
    matern_kernel(X_, Q.middleCols(j0, w), categorical_, params_.inverse_squared_lengthscales, params_.signal_variance,
                  Ks, nullptr);  // (n x w)
    mean.segment(j0, w).noalias() = Ks.transpose() * alpha_;
    V.noalias() = Linv_.triangularView<Eigen::Lower>() * Ks;  // k^T K^-1 k = |L^-1 k|^2
    variance.segment(j0, w) = (params_.signal_variance - V.colwise().squaredNorm().array()).matrix().transpose();
  }
  variance = variance.cwiseMax(kMinVariance);
}

void GPRegressor::posterior_grad(const Eigen::VectorXd& x, double& mean, double& variance, Eigen::VectorXd& dmean,
                                 Eigen::VectorXd& dvariance) const {
  const Eigen::Index d = X_.rows();
  const Eigen::VectorXd& lambda = params_.inverse_squared_lengthscales;
  Eigen::MatrixXd K, dK;
  matern_kernel(X_, x, categorical_, lambda, params_.signal_variance, K, &dK);
  const Eigen::VectorXd k = K.col(0), g = dK.col(0);
  const Eigen::VectorXd v = Linv_.triangularView<Eigen::Lower>().transpose() * (Linv_.triangularView<Eigen::Lower>() * k).eval();
  mean = k.dot(alpha_);
  const double raw_variance = params_.signal_variance - k.dot(v);
  variance = std::max(raw_variance, kMinVariance);
  // dk_i/dx_c = g_i 2 lambda_c (x_c - X_ci): sum_i w_i dk_i/dx_c = 2 lambda_c (x_c sum(w g) - (X (w g))_c).
  const Eigen::VectorXd wa = alpha_.cwiseProduct(g), wv = v.cwiseProduct(g);
  const Eigen::VectorXd Xa = X_ * wa, Xv = X_ * wv;
  const double sa = wa.sum(), sv = wv.sum();
  dmean.resize(d);
  dvariance.resize(d);
  for (Eigen::Index c = 0; c < d; ++c) {
    if (categorical_[c]) {
      dmean[c] = dvariance[c] = 0.0;
      continue;
    }
    dmean[c] = 2.0 * lambda[c] * (x[c] * sa - Xa[c]);
    dvariance[c] = raw_variance > kMinVariance ? -2.0 * 2.0 * lambda[c] * (x[c] * sv - Xv[c]) : 0.0;
  }
}

double erfcx(double x) {
  if (x < 0.0) {
    const double hi = x * x, lo = std::fma(x, x, -hi);
    return 2.0 * std::exp(hi) * (1.0 + lo) - erfcx(-x);
  }
  if (x < 10.0) {
    // exp(x^2) with x^2 = hi + lo exactly (fma), so that the rounding of x^2 does not cost
    // x^2 * 2^-53 of relative accuracy.
    const double hi = x * x, lo = std::fma(x, x, -hi);
    return std::exp(hi) * (1.0 + lo) * std::erfc(x);
  }
  // Asymptotic series 1/(x sqrt(pi)) sum_k (-1)^k (2k-1)!! / (2 x^2)^k; at x >= 10 the 13th
  // term is below 1e-17.
  const double w = 1.0 / (2.0 * x * x);
  double term = 1.0, sum = 1.0;
  for (int k = 1; k <= 12; ++k) {
    term *= -(2.0 * k - 1.0) * w;
    sum += term;
  }
  return sum / (x * kSqrtPi);
}

double log_h(double z) { return log_h_parts(z).log_h; }

double log_h_grad(double z) { return log_h_parts(z).phi_ratio; }

double log_ei(double mean, double variance, double best, double* dmean, double* dvariance) {
  const double sigma = std::sqrt(std::max(variance, GPRegressor::kMinVariance));
  const double z = (mean - best) / sigma;
  const LogHParts parts = log_h_parts(z);
  // d/dmean = (Phi/h) / sigma; d/dsigma = (1 - z Phi/h) / sigma = (phi/h) / sigma.
  if (dmean) *dmean = parts.phi_ratio / sigma;
  if (dvariance) *dvariance = parts.pdf_ratio / sigma / (2.0 * sigma);
  return parts.log_h + std::log(sigma);
}

}  // namespace autoglm::gp
