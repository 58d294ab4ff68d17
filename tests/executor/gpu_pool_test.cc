// GpuPool: validation, disjoint hand-outs under contention, blocking, shutdown.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "autoglm/error.h"
#include "autoglm/executor.h"

namespace autoglm {
namespace {

TEST(GpuPool, RejectsBadConfigurations) {
  EXPECT_THROW(GpuPool({0, 1}, 3), ConfigError);
  EXPECT_THROW(GpuPool({}, 1), ConfigError);
  EXPECT_THROW(GpuPool({0, 1, 0}, 1), ConfigError);
  EXPECT_THROW(GpuPool({0, -1}, 1), ConfigError);
  EXPECT_THROW(GpuPool({0, 1}, 0), ConfigError);
  try {
    GpuPool({0, 1}, 3);
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("gpus_per_trial is 3 but only 2 GPU id(s)"), std::string::npos);
  }
  GpuPool pool({3, 1, 2, 0}, 2);
  EXPECT_EQ(pool.capacity(), 2);
  EXPECT_EQ(pool.per_trial(), 2);
}

TEST(GpuPool, HandsOutDisjointSetsAndBlocksWhenEmpty) {
  GpuPool pool({4, 5, 6}, 2);
  GpuLease* first = new GpuLease(pool);
  EXPECT_EQ(first->ids(), (std::vector<int>{4, 5}));
  EXPECT_EQ(first->visible_devices(), "4,5");
  EXPECT_EQ(pool.n_free(), 1);
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    GpuLease second(pool);
    EXPECT_EQ(second.ids().size(), 2u);
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_FALSE(got.load());  // only one id free: must wait
  delete first;
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(pool.n_free(), 3);
}

TEST(GpuPool, NoIdIsEverHeldTwice) {
  GpuPool pool({0, 1, 2, 3}, 2);
  std::mutex m;
  std::set<int> held;  // GUARDED_BY(m)
  std::atomic<int> violations{0}, max_concurrent{0}, concurrent{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        GpuLease lease(pool);
        {
          std::lock_guard lock(m);
          for (int id : lease.ids())
            if (!held.insert(id).second) ++violations;
        }
        int c = ++concurrent;
        int prev = max_concurrent.load();
        while (c > prev && !max_concurrent.compare_exchange_weak(prev, c)) {}
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        --concurrent;
        std::lock_guard lock(m);
        for (int id : lease.ids()) held.erase(id);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_LE(max_concurrent.load(), 2);
  EXPECT_EQ(pool.n_free(), 4);
}

TEST(GpuPool, ShutdownInterruptsWaiting) {
  GpuPool pool({0}, 1);
  GpuLease held(pool);
  std::thread stopper([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    request_shutdown();
  });
  EXPECT_THROW(pool.acquire(), Error);
  stopper.join();
  reset_shutdown();
  EXPECT_FALSE(shutdown_requested());
}

}  // namespace
}  // namespace autoglm
