// C++ threads: std::thread with std::mutex and std::condition_variable,
// std::async futures, std::promise, std::atomic, and a thread_local.
#include <atomic>
#include <condition_variable>
#include <future>
#include <iostream>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

thread_local int calls = 0;

static long sum_range(long from, long to) {
  ++calls;
  long s = 0;
  for (long i = from; i < to; ++i) s += i % 7;
  return s;
}

int main() {
  std::mutex m;
  long total = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      long s = sum_range(t * 100000L, (t + 1) * 100000L);
      std::lock_guard<std::mutex> g(m);
      total += s;
    });
  for (auto &t : threads) t.join();
  std::cout << "std::thread x8 sum: " << total << "\n";

  std::vector<std::future<long>> futures;
  for (int t = 0; t < 8; ++t) futures.push_back(std::async(std::launch::async, sum_range, t * 1000L, (t + 1) * 1000L));
  long async_total = 0;
  for (auto &f : futures) async_total += f.get();
  std::cout << "std::async x8 sum: " << async_total << "\n";
  auto deferred = std::async(std::launch::deferred, [] { return std::this_thread::get_id() != std::thread::id(); });
  std::cout << "deferred ran on a thread: " << std::boolalpha << deferred.get() << "\n";

  std::promise<std::string> p;
  std::future<std::string> answer = p.get_future();
  std::thread setter([&p] { p.set_value("kept"); });
  std::cout << "promise: " << answer.get() << "\n";
  setter.join();

  std::condition_variable cv;
  std::atomic<int> ready{0};
  bool go = false;
  std::vector<std::thread> waiters;
  for (int t = 0; t < 4; ++t)
    waiters.emplace_back([&] {
      std::unique_lock<std::mutex> l(m);
      ++ready;
      cv.wait(l, [&] { return go; });
    });
  while (ready.load() < 4) std::this_thread::yield();
  {
    std::lock_guard<std::mutex> g(m);
    go = true;
  }
  cv.notify_all();
  for (auto &t : waiters) t.join();
  std::cout << "condition_variable released " << ready.load() << " waiters\n";
  std::cout << "main's thread_local calls: " << calls << "\n";
  return 0;
}
