// Linked into every executable of a ThreadSanitizer build (FEEDBACK_TSAN).
//
// Debian's Abseil is not built with TSan, so absl::Mutex, absl::CondVar and
// absl::Notification are invisible to it: every access guarded by them
// would look like a race. This file defines the out-of-line members the
// project and gRPC call; the executable's definitions take precedence over
// libabsl_synchronization's (ELF symbol interposition, -rdynamic), each
// calls the library's own function and tells TSan about the happens-before
// edge it creates (release before giving up a lock or notifying, acquire
// after taking it or waking up). The locking itself stays Abseil's.

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

// The library's definition of `symbol` (the next one after this executable).
template <typename Fn>
Fn Real(const char* symbol) {
  void* fn = dlsym(RTLD_NEXT, symbol);
  if (fn == nullptr) {
    std::fprintf(stderr, "tsan_absl_sync: %s not found in Abseil (%s)\n", symbol, dlerror());
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}

void Acquire(const void* sync) { __tsan_acquire(const_cast<void*>(sync)); }
void Release(const void* sync) { __tsan_release(const_cast<void*>(sync)); }

// Abseil evaluates a Condition with the mutex held, in the waiting thread
// or in whichever thread unlocks; neither passes through the functions
// below. Wrapping the Condition gives each evaluation its edges: the
// waiter publishes the wrapper (and the Condition it points to, both on
// its stack) before handing it to Abseil, an evaluating thread takes that
// edge before reading them, and the mutex's edges around the evaluation
// cover the state the Condition reads.
struct Watched {
  const absl::Condition* cond;
  const absl::Mutex* mu;
};

bool EvalWatched(void* arg) {
  Acquire(arg);
  const auto* w = static_cast<const Watched*>(arg);
  Acquire(w->mu);
  const bool met = w->cond->Eval();
  Release(w->mu);
  return met;
}

// The wrapping Condition is built by Abseil's own (out-of-line) void*
// constructor, so that its fields are written and read inside the library
// only; the Watched it points to is published by Release(&w).
absl::Condition WatchedCondition(Watched* w) {
  Release(w);
  return absl::Condition(&EvalWatched, static_cast<void*>(w));
}

}  // namespace

// Mangled names of Debian 12's Abseil 20220623 (inline namespace debian3).
#define ABSL_SYM(name) "_ZN4absl7debian3" name
#define ABSL_CONST_SYM(name) "_ZNK4absl7debian3" name

void absl::Mutex::Lock() {
  static auto real = Real<void (*)(Mutex*)>(ABSL_SYM("5Mutex4LockEv"));
  real(this);
  Acquire(this);
}

void absl::Mutex::ReaderLock() {
  static auto real = Real<void (*)(Mutex*)>(ABSL_SYM("5Mutex10ReaderLockEv"));
  real(this);
  Acquire(this);
}

bool absl::Mutex::TryLock() {
  static auto real = Real<bool (*)(Mutex*)>(ABSL_SYM("5Mutex7TryLockEv"));
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}

bool absl::Mutex::ReaderTryLock() {
  static auto real = Real<bool (*)(Mutex*)>(ABSL_SYM("5Mutex13ReaderTryLockEv"));
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}

void absl::Mutex::Unlock() {
  static auto real = Real<void (*)(Mutex*)>(ABSL_SYM("5Mutex6UnlockEv"));
  Release(this);
  real(this);
}

void absl::Mutex::ReaderUnlock() {
  static auto real = Real<void (*)(Mutex*)>(ABSL_SYM("5Mutex12ReaderUnlockEv"));
  Release(this);
  real(this);
}

void absl::Mutex::LockWhen(const Condition& cond) {
  static auto real =
      Real<void (*)(Mutex*, const Condition&)>(ABSL_SYM("5Mutex8LockWhenERKNS0_9ConditionE"));
  Watched w{&cond, this};
  real(this, WatchedCondition(&w));
  Acquire(this);
}

void absl::Mutex::ReaderLockWhen(const Condition& cond) {
  static auto real = Real<void (*)(Mutex*, const Condition&)>(
      ABSL_SYM("5Mutex14ReaderLockWhenERKNS0_9ConditionE"));
  Watched w{&cond, this};
  real(this, WatchedCondition(&w));
  Acquire(this);
}

bool absl::Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      ABSL_SYM("5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE"));
  Watched w{&cond, this};
  const bool met = real(this, WatchedCondition(&w), timeout);
  Acquire(this);
  return met;
}

bool absl::Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, absl::Time)>(
      ABSL_SYM("5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE"));
  Watched w{&cond, this};
  const bool met = real(this, WatchedCondition(&w), deadline);
  Acquire(this);
  return met;
}

// Await* give the lock up while waiting and hold it again on return.
void absl::Mutex::Await(const Condition& cond) {
  static auto real =
      Real<void (*)(Mutex*, const Condition&)>(ABSL_SYM("5Mutex5AwaitERKNS0_9ConditionE"));
  Release(this);
  Watched w{&cond, this};
  real(this, WatchedCondition(&w));
  Acquire(this);
}

bool absl::Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      ABSL_SYM("5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE"));
  Release(this);
  Watched w{&cond, this};
  const bool met = real(this, WatchedCondition(&w), timeout);
  Acquire(this);
  return met;
}

bool absl::Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, absl::Time)>(
      ABSL_SYM("5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE"));
  Release(this);
  Watched w{&cond, this};
  const bool met = real(this, WatchedCondition(&w), deadline);
  Acquire(this);
  return met;
}

void absl::CondVar::Wait(Mutex* mu) {
  static auto real = Real<void (*)(CondVar*, Mutex*)>(ABSL_SYM("7CondVar4WaitEPNS0_5MutexE"));
  Release(mu);
  real(this, mu);
  Acquire(mu);
}

bool absl::CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  static auto real = Real<bool (*)(CondVar*, Mutex*, absl::Duration)>(
      ABSL_SYM("7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE"));
  Release(mu);
  const bool timed_out = real(this, mu, timeout);
  Acquire(mu);
  return timed_out;
}

bool absl::CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  static auto real = Real<bool (*)(CondVar*, Mutex*, absl::Time)>(
      ABSL_SYM("7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE"));
  Release(mu);
  const bool timed_out = real(this, mu, deadline);
  Acquire(mu);
  return timed_out;
}

void absl::Notification::Notify() {
  static auto real = Real<void (*)(Notification*)>(ABSL_SYM("12Notification6NotifyEv"));
  Release(this);
  real(this);
}

void absl::Notification::WaitForNotification() const {
  static auto real = Real<void (*)(const Notification*)>(
      ABSL_CONST_SYM("12Notification19WaitForNotificationEv"));
  real(this);
  Acquire(this);
}

bool absl::Notification::WaitForNotificationWithTimeout(absl::Duration timeout) const {
  static auto real = Real<bool (*)(const Notification*, absl::Duration)>(
      ABSL_CONST_SYM("12Notification30WaitForNotificationWithTimeoutENS0_8DurationE"));
  const bool notified = real(this, timeout);
  Acquire(this);
  return notified;
}

bool absl::Notification::WaitForNotificationWithDeadline(absl::Time deadline) const {
  static auto real = Real<bool (*)(const Notification*, absl::Time)>(
      ABSL_CONST_SYM("12Notification31WaitForNotificationWithDeadlineENS0_4TimeE"));
  const bool notified = real(this, deadline);
  Acquire(this);
  return notified;
}
