// AutoSampler: the rule (GP for small numeric spaces, TPE for conditional, categorical-heavy,
// large or multi-objective ones, CMA-ES / multivariate TPE past gp_max_trials), per-trial
// delegation, resume, seeding, the decision message and the factory's options.
#include <cmath>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autoglm/auto_sampler.h"
#include "autoglm/error.h"
#include "autoglm/pruner.h"
#include "autoglm/sampler.h"
#include "autoglm/storage.h"
#include "autoglm/study.h"

namespace autoglm {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using Choice = AutoSampler::Choice;

struct AutoStudy {
  std::unique_ptr<Study> study;
  AutoSampler* sampler = nullptr;
};

AutoStudy make_auto_study(AutoSamplerOptions o, std::vector<StudyDirection> directions = {StudyDirection::MINIMIZE},
                          std::shared_ptr<Storage> storage = nullptr, const std::string& name = "") {
  auto s = std::make_unique<AutoSampler>(o);
  AutoStudy out;
  out.sampler = s.get();
  CreateStudyOptions c;
  c.storage = storage ? storage : open_storage(":memory:");
  c.study_name = name;
  c.directions = std::move(directions);
  c.sampler = std::move(s);
  c.pruner = make_pruner(nlohmann::json{{"name", "nop"}});
  c.load_if_exists = true;
  out.study = Study::create(std::move(c));
  return out;
}

OptimizeOptions n_trials(int n) {
  OptimizeOptions o;
  o.n_trials = n;
  return o;
}

/// Runs `objective` for n trials, recording the sampler chosen for each trial number (read
/// inside the objective, i.e. between before_trial and after_trial).
std::map<int, Choice> run(AutoStudy& s, int n, const std::function<double(Trial&)>& objective) {
  std::map<int, Choice> chosen;
  s.study->optimize(
      [&](Trial& t) {
        auto c = s.sampler->choice_of(t.number());
        EXPECT_TRUE(c.has_value()) << "trial " << t.number();
        if (c) chosen[t.number()] = *c;
        return objective(t);
      },
      n_trials(n));
  return chosen;
}

double continuous3(Trial& t) {
  double f = 0;
  for (int i = 0; i < 3; ++i) {
    const double x = t.suggest_float("x" + std::to_string(i), -2.0, 2.0);
    f += (x - 0.5) * (x - 0.5);
  }
  return f;
}

double continuous4(Trial& t) {
  double f = 0;
  for (int i = 0; i < 4; ++i) {
    const double x = t.suggest_float("x" + std::to_string(i), -2.0, 2.0);
    f += (x - 0.5) * (x - 0.5);
  }
  return f;
}

// ---- the rule on whole studies ----------------------------------------------------------------

TEST(AutoSampler, PicksGpForSmallContinuousSpace) {
  auto s = make_auto_study({.seed = 0});
  const auto chosen = run(s, 12, continuous3);
  ASSERT_EQ(chosen.size(), 12u);
  for (const auto& [n, c] : chosen) EXPECT_EQ(c, Choice::kGP) << "trial " << n;
  EXPECT_EQ(s.sampler->last_choice(), Choice::kGP);
  const auto d = AutoSampler::decide(*s.study, s.sampler->options());
  EXPECT_EQ(d.choice, Choice::kGP);
  EXPECT_THAT(d.reason, HasSubstr("3 continuous parameters, no conditional or categorical-heavy space, trial 12 of "
                                  "the GP phase <= 300 trials"));
}

TEST(AutoSampler, PicksTpeForConditionalSpace) {
  auto s = make_auto_study({.seed = 1});
  // Both branches among the first two COMPLETE trials.
  s.study->enqueue_trial({{"optimizer", std::string("adamw")}});
  s.study->enqueue_trial({{"optimizer", std::string("sgd")}});
  const auto chosen = run(s, 10, [](Trial& t) {
    const std::string opt = t.suggest_categorical("optimizer", std::vector<std::string>{"adamw", "sgd"});
    const double lr = t.suggest_float("lr", 1e-4, 1e-1, true);
    double f = std::abs(std::log10(lr) + 2.5);
    if (opt == "sgd") f += t.suggest_float("momentum", 0.5, 0.99);
    return f;
  });
  EXPECT_EQ(chosen.at(0), Choice::kGP);  // nothing COMPLETE yet: the GP's start-up
  EXPECT_EQ(chosen.at(1), Choice::kGP);  // {optimizer, lr}: 1 categorical, 1 numeric
  for (int n = 2; n < 10; ++n) EXPECT_EQ(chosen.at(n), Choice::kTPE) << "trial " << n;
  const auto d = AutoSampler::decide(*s.study, s.sampler->options());
  EXPECT_EQ(d.choice, Choice::kTPE);
  EXPECT_THAT(d.reason, HasSubstr("conditional"));
}

TEST(AutoSampler, PicksTpeForCategoricalHeavySpace) {
  auto s = make_auto_study({.seed = 2});
  const auto chosen = run(s, 8, [](Trial& t) {
    double f = t.suggest_float("x", -1.0, 1.0);
    for (const char* name : {"act", "norm", "init"})
      f += t.suggest_categorical(name, std::vector<std::string>{"a", "b", "c"}) == "a" ? 0.0 : 1.0;
    return f;
  });
  EXPECT_EQ(chosen.at(0), Choice::kGP);
  for (int n = 1; n < 8; ++n) EXPECT_EQ(chosen.at(n), Choice::kTPE) << "trial " << n;
  EXPECT_THAT(AutoSampler::decide(*s.study, s.sampler->options()).reason, HasSubstr("categorical-heavy"));
}

TEST(AutoSampler, PicksTpeForMultiObjective) {
  auto s = make_auto_study({.seed = 3}, {StudyDirection::MINIMIZE, StudyDirection::MAXIMIZE});
  std::map<int, Choice> chosen;
  s.study->optimize(
      MultiObjective([&](Trial& t) {
        chosen[t.number()] = *s.sampler->choice_of(t.number());
        const double x = t.suggest_float("x", 0.0, 1.0), y = t.suggest_float("y", 0.0, 1.0);
        return std::vector<double>{x * x + y, (1 - x) * (1 - x) + y};
      }),
      n_trials(15));
  ASSERT_EQ(chosen.size(), 15u);
  for (const auto& [n, c] : chosen) EXPECT_EQ(c, Choice::kTPE) << "trial " << n;  // from trial 0 on
  EXPECT_EQ(s.study->get_trials(std::vector<TrialState>{TrialState::COMPLETE}).size(), 15u);
}

TEST(AutoSampler, SwitchesToCmaEsAfterGpMaxTrials) {
  auto s = make_auto_study({.seed = 4, .gp_max_trials = 15});
  const auto chosen = run(s, 30, continuous4);
  for (int n = 0; n < 15; ++n) EXPECT_EQ(chosen.at(n), Choice::kGP) << "trial " << n;
  for (int n = 15; n < 30; ++n) EXPECT_EQ(chosen.at(n), Choice::kCmaEs) << "trial " << n;
  EXPECT_THAT(AutoSampler::decide(*s.study, s.sampler->options()).reason,
              HasSubstr("30 COMPLETE trials >= gp_max_trials 15; restart_strategy ipop"));
}

// ---- decide() on hand-made histories ----------------------------------------------------------

FrozenTrial complete(int number, SearchSpace space, double value = 1.0) {
  FrozenTrial t;
  t.number = number;
  t.trial_id = number;
  t.state = TrialState::COMPLETE;
  t.values = {value};
  for (const auto& [name, d] : space) {
    t.params[name] = 0.0;
    if (auto f = std::get_if<FloatDistribution>(&d)) t.params[name] = f->low;
    if (auto i = std::get_if<IntDistribution>(&d)) t.params[name] = static_cast<double>(i->low);
    t.distributions.emplace(name, d);
  }
  return t;
}

HistoryView history(std::vector<FrozenTrial> trials) {
  return HistoryView("h", {StudyDirection::MINIMIZE}, std::move(trials));
}

TEST(AutoSamplerDecide, EveryBranchOfTheRule) {
  const Distribution flt = FloatDistribution{0.0, 1.0};
  const Distribution num = IntDistribution{1, 8};
  const Distribution cat = CategoricalDistribution{{std::string("a"), std::string("b")}};
  const Distribution fixed = FloatDistribution{2.0, 2.0};
  AutoSamplerOptions o;
  o.gp_max_trials = 3;
  o.max_gp_dims = 4;

  EXPECT_EQ(AutoSampler::decide(history({}), o).choice, Choice::kGP);
  // Numeric and mostly numeric spaces: GP.
  EXPECT_EQ(AutoSampler::decide(history({complete(0, {{"a", flt}, {"b", num}})}), o).choice, Choice::kGP);
  EXPECT_EQ(AutoSampler::decide(history({complete(0, {{"a", flt}, {"c", cat}})}), o).choice, Choice::kGP);
  // Categorical-heavy: more categorical than numeric (a single-valued parameter does not count).
  EXPECT_EQ(AutoSampler::decide(history({complete(0, {{"a", flt}, {"c", cat}, {"d", cat}})}), o).choice, Choice::kTPE);
  EXPECT_EQ(AutoSampler::decide(history({complete(0, {{"k", fixed}, {"c", cat}})}), o).choice, Choice::kTPE);
  // Conditional: a name missing in one COMPLETE trial, or a changed distribution.
  EXPECT_EQ(AutoSampler::decide(history({complete(0, {{"a", flt}, {"b", num}}), complete(1, {{"a", flt}})}), o).choice,
            Choice::kTPE);
  EXPECT_EQ(AutoSampler::decide(
                history({complete(0, {{"a", flt}}), complete(1, {{"a", FloatDistribution{0.0, 2.0}}})}), o)
                .choice,
            Choice::kTPE);
  // Failed / running trials do not count.
  {
    FrozenTrial failed = complete(1, {{"a", flt}, {"z", flt}});
    failed.state = TrialState::FAIL;
    failed.values.clear();
    EXPECT_EQ(AutoSampler::decide(history({complete(0, {{"a", flt}}), failed}), o).choice, Choice::kGP);
  }
  // More than max_gp_dims parameters.
  {
    SearchSpace big;
    for (int i = 0; i < 5; ++i) big.emplace("p" + std::to_string(i), flt);
    const auto d = AutoSampler::decide(history({complete(0, big)}), o);
    EXPECT_EQ(d.choice, Choice::kTPE);
    EXPECT_THAT(d.reason, HasSubstr("more than max_gp_dims 4"));
    big.erase("p4");
    EXPECT_EQ(AutoSampler::decide(history({complete(0, big)}), o).choice, Choice::kGP);
  }
  // Past gp_max_trials: CMA-ES for float/int spaces, multivariate TPE with categoricals.
  const SearchSpace numeric{{"a", flt}, {"b", num}}, mixed{{"a", flt}, {"b", num}, {"c", cat}};
  EXPECT_EQ(AutoSampler::decide(history({complete(0, numeric), complete(1, numeric)}), o).choice, Choice::kGP);
  EXPECT_EQ(AutoSampler::decide(history({complete(0, numeric), complete(1, numeric), complete(2, numeric)}), o).choice,
            Choice::kCmaEs);
  EXPECT_EQ(AutoSampler::decide(history({complete(0, mixed), complete(1, mixed), complete(2, mixed)}), o).choice,
            Choice::kTPEMultivariate);
  // Constraint values on a COMPLETE trial: TPE (GP and CMA-ES ignore feasibility).
  {
    FrozenTrial constrained = complete(1, {{"a", flt}, {"b", num}});
    constrained.system_attrs["constraints"] = nlohmann::json::array({-1.0});
    const auto d = AutoSampler::decide(history({complete(0, {{"a", flt}, {"b", num}}), constrained}), o);
    EXPECT_EQ(d.choice, Choice::kTPE);
    EXPECT_THAT(d.reason, HasSubstr("constrained study"));
  }
  // Several objectives: TPE, whatever the space.
  EXPECT_EQ(AutoSampler::decide(HistoryView("h", {StudyDirection::MINIMIZE, StudyDirection::MINIMIZE}, {}), o).choice,
            Choice::kTPE);
}

// ---- delegation, resume, seeding --------------------------------------------------------------

TEST(AutoSampler, TrialKeepsItsSamplerUntilToldEvenAfterASwitch) {
  auto s = make_auto_study({.seed = 5, .gp_max_trials = 3});
  Study& study = *s.study;
  auto finish = [&](Trial& t) { study.tell(t, continuous4(t)); };
  for (int i = 0; i < 2; ++i) {
    Trial t = study.ask();
    finish(t);
  }
  Trial late = study.ask();  // 2 COMPLETE: still GP
  EXPECT_EQ(s.sampler->choice_of(late.number()), Choice::kGP);
  Trial other = study.ask();
  finish(other);  // 3 COMPLETE now
  Trial next = study.ask();
  EXPECT_EQ(s.sampler->choice_of(next.number()), Choice::kCmaEs);
  EXPECT_EQ(s.sampler->choice_of(late.number()), Choice::kGP);  // unchanged by the switch
  finish(late);  // sampled (and told) through the GP
  EXPECT_EQ(s.sampler->choice_of(late.number()), std::nullopt);
  finish(next);
  for (const auto& t : study.get_trials()) {
    EXPECT_EQ(t.state, TrialState::COMPLETE);
    EXPECT_EQ(t.params.size(), 4u);
  }
}

TEST(AutoSampler, ResumedStudyMakesTheSameDecision) {
  auto storage = open_storage(":memory:");
  {
    auto s = make_auto_study({.seed = 6, .gp_max_trials = 10}, {StudyDirection::MINIMIZE}, storage, "resume");
    run(s, 12, continuous3);
    EXPECT_EQ(s.sampler->last_choice(), Choice::kCmaEs);
  }
  auto s = make_auto_study({.seed = 6, .gp_max_trials = 10}, {StudyDirection::MINIMIZE}, storage, "resume");
  const auto chosen = run(s, 3, continuous3);
  for (const auto& [n, c] : chosen) EXPECT_EQ(c, Choice::kCmaEs) << "trial " << n;
  EXPECT_EQ(s.study->get_trials().size(), 15u);
}

TEST(AutoSampler, ReproducibleBySeed) {
  // 25 trials cross the GP -> CMA-ES switch at 12.
  auto params = [](uint64_t seed) {
    auto s = make_auto_study({.seed = seed, .gp_max_trials = 12});
    run(s, 25, continuous4);
    std::vector<std::map<std::string, double>> out;
    for (const auto& t : s.study->get_trials()) out.push_back(t.params);
    return out;
  };
  const auto a = params(7), b = params(7), c = params(8);
  ASSERT_EQ(a.size(), 25u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(AutoSampler, ParallelWorkers) {
  // Three workers across the GP -> CMA-ES switch: every trial completes inside the space.
  auto s = make_auto_study({.seed = 10, .gp_max_trials = 8});
  OptimizeOptions o;
  o.n_trials = 24;
  o.n_jobs = 3;
  s.study->optimize(continuous4, o);
  const auto trials = s.study->get_trials();
  ASSERT_EQ(trials.size(), 24u);
  for (const auto& t : trials) {
    EXPECT_EQ(t.state, TrialState::COMPLETE);
    for (const auto& [name, v] : t.params) EXPECT_TRUE(contains(t.distributions.at(name), v));
  }
  EXPECT_EQ(s.sampler->last_choice(), Choice::kCmaEs);
}

// ---- the decision message ---------------------------------------------------------------------

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

TEST(AutoSampler, PrintsTheDecisionOnce) {
  auto s = make_auto_study({.seed = 8});
  ::testing::internal::CaptureStderr();
  run(s, 8, continuous3);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(count(err, "auto sampler: "), 1) << err;
  EXPECT_THAT(err, HasSubstr("auto sampler: gp (no COMPLETE trial yet"));
}

TEST(AutoSampler, PrintsAgainOnEachSwitch) {
  auto s = make_auto_study({.seed = 9, .gp_max_trials = 5});
  ::testing::internal::CaptureStderr();
  run(s, 9, continuous3);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(count(err, "auto sampler: "), 2) << err;
  EXPECT_THAT(err, HasSubstr("auto sampler: gp ("));
  EXPECT_THAT(err, HasSubstr("auto sampler: cmaes (3 continuous parameters, 5 COMPLETE trials >= gp_max_trials 5"));
}

// ---- factory -----------------------------------------------------------------------------------

std::string error_of(const nlohmann::json& spec) {
  try {
    make_sampler(spec);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(AutoSamplerFactory, BuildsFromTheRegistry) {
  auto s = make_sampler(nlohmann::json{{"name", "auto"}, {"seed", 1}, {"gp_max_trials", 50}, {"max_gp_dims", 8}});
  ASSERT_EQ(s->name(), "auto");
  const auto& o = dynamic_cast<AutoSampler&>(*s).options();
  EXPECT_EQ(o.seed, 1u);
  EXPECT_EQ(o.gp_max_trials, 50);
  EXPECT_EQ(o.max_gp_dims, 8);
  EXPECT_EQ(make_sampler("auto")->name(), "auto");
  const auto names = registered_samplers();
  EXPECT_NE(std::find(names.begin(), names.end(), "auto"), names.end());
}

TEST(AutoSamplerFactory, RefusesUnknownAndOutOfRangeOptions) {
  EXPECT_THAT(error_of({{"name", "auto"}, {"gp_max_trial", 10}}),
              AllOf(HasSubstr("sampler 'auto'"), HasSubstr("'gp_max_trial'"),
                    HasSubstr("did you mean 'gp_max_trials'")));
  EXPECT_THAT(error_of({{"name", "auto"}, {"multivariate", true}}), HasSubstr("unknown option 'multivariate'"));
  EXPECT_THAT(error_of({{"name", "auto"}, {"gp_max_trials", 0}}),
              AllOf(HasSubstr("option 'gp_max_trials'"), HasSubstr("between 1 and")));
  EXPECT_THAT(error_of({{"name", "auto"}, {"gp_max_trials", 10'000'000'000LL}}), HasSubstr("'gp_max_trials'"));
  EXPECT_THAT(error_of({{"name", "auto"}, {"max_gp_dims", -1}}), HasSubstr("'max_gp_dims'"));
  EXPECT_THAT(error_of({{"name", "auto"}, {"max_gp_dims", 2.5}}),
              AllOf(HasSubstr("'max_gp_dims'"), HasSubstr("integer")));
  EXPECT_THAT(error_of({{"name", "auto"}, {"seed", -3}}), HasSubstr("'seed'"));
  EXPECT_THROW(AutoSampler(AutoSamplerOptions{.gp_max_trials = 0}), ConfigError);
}

}  // namespace
}  // namespace autoglm
