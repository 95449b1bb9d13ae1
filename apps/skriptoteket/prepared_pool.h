// SPDX-License-Identifier: Apache-2.0
// A few objects made ahead of time by a thread of their own, so that a caller takes a ready one
// instead of paying for its making on its request path. Used for sandboxes started and waiting
// for a script (SandboxRunner): bubblewrap's start (namespaces, mounts, seccomp) then happens
// between runs, not during one.
//
// The filler keeps `target` objects ready. A taken one is replaced once it is handed back with
// dispose(), not at once: making one (bubblewrap's mounts, a cgroup) takes kernel locks that the
// run still going on needs too, and would compete with it for the CPU. The filler destroys
// used objects, so whatever their destructors do (kill what is left of a sandbox, remove its
// cgroup) is off the caller's path too. Every taken object is disposed of exactly once (nullptr
// when it is gone), or its place stays empty. A failing `make`
// is retried after a pause (callers then make their own, and see the error themselves).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace skriptoteket {

template <typename T>
class PreparedPool {
 public:
  // `make` returns nullptr when it fails; it runs on the filler thread only.
  PreparedPool(size_t target, std::function<std::unique_ptr<T>()> make,
               std::chrono::milliseconds retry_after = std::chrono::seconds(1))
      : target_(target), make_(std::move(make)), retry_after_(retry_after) {
    filler_ = std::thread([this] { fill(); });
  }

  ~PreparedPool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    filler_.join();
    // Members destroy the ready and used objects.
  }

  PreparedPool(const PreparedPool&) = delete;
  PreparedPool& operator=(const PreparedPool&) = delete;

  // The oldest ready object, or nullptr when none is ready.
  std::unique_ptr<T> take() {
    std::unique_ptr<T> out;
    {
      std::lock_guard lock(mutex_);
      if (ready_.empty()) return nullptr;
      out = std::move(ready_.front());
      ready_.pop_front();
      ++taken_;
    }
    return out;
  }

  // Destroys `other` (an object the pool did not make) on the filler thread.
  void discard(std::unique_ptr<T> other) {
    if (!other) return;
    {
      std::lock_guard lock(mutex_);
      used_.push_back(std::move(other));
    }
    changed_.notify_all();
  }

  // Destroys `used` (a taken object, or nullptr for one that is gone) on the filler thread, and
  // refills its place.
  void dispose(std::unique_ptr<T> used) {
    {
      std::lock_guard lock(mutex_);
      if (taken_ > 0) --taken_;
      if (used) used_.push_back(std::move(used));
    }
    changed_.notify_all();
  }

  size_t ready() const {
    std::lock_guard lock(mutex_);
    return ready_.size();
  }

  // Waits until `target` objects are ready (true) or `timeout` passes (false).
  bool wait_until_full(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return ready_.size() >= target_; });
  }

 private:
  void fill() {
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait(
          lock, [&] { return stopping_ || !used_.empty() || ready_.size() + taken_ < target_; });
      if (stopping_) return;
      if (!used_.empty()) {
        std::vector<std::unique_ptr<T>> used;
        used.swap(used_);
        lock.unlock();
        used.clear();
        lock.lock();
        continue;
      }
      lock.unlock();
      std::unique_ptr<T> made = make_();
      lock.lock();
      if (made) {
        ready_.push_back(std::move(made));
        changed_.notify_all();
      } else {
        changed_.wait_for(lock, retry_after_, [&] { return stopping_; });
      }
    }
  }

  const size_t target_;
  const std::function<std::unique_ptr<T>()> make_;
  const std::chrono::milliseconds retry_after_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<T>> ready_;
  std::vector<std::unique_ptr<T>> used_;
  size_t taken_ = 0;  // taken and not yet disposed of
  bool stopping_ = false;
  std::thread filler_;  // last: it starts once everything above exists
};

}  // namespace skriptoteket
