#pragma once
// The step runner: every boot step runs through run_step(), which times it, catches every
// exception (a failing step never stops the boot), records the outcome in BootStatus and
// prints one console line.
//
//   runner.run_step("hostname", [&](StepContext& step) {
//     if (nothing_to_do) return step.skip("no network interface");
//     if (!do_it()) return step.fail("sethostname: Operation not permitted");
//     step.note("lifeboat");                       // optional detail on success
//   });
//
// Throwing is equivalent to step.fail(e.what()). Errors found on the way (a bad config
// value) go to report_error(): they are printed at once and listed in status.json.
#include <functional>
#include <string>

#include "boot/log.h"
#include "report/status.h"

namespace lifeboat {

class StepContext {
 public:
  void skip(std::string reason) { result_ = StepResult::skipped; detail_ = std::move(reason); }
  void fail(std::string reason) { result_ = StepResult::failed; detail_ = std::move(reason); }
  void note(std::string detail) { detail_ = std::move(detail); }
  StepResult result() const noexcept { return result_; }
  const std::string& detail() const noexcept { return detail_; }

 private:
  StepResult result_ = StepResult::ok;
  std::string detail_;
};

class StepRunner {
 public:
  StepRunner(sys::Sys& sys, Log& log, BootStatus& status) noexcept
      : sys_(sys), log_(log), status_(status) {}

  // Returns true when the step ended ok.
  bool run_step(const std::string& name, const std::function<void(StepContext&)>& fn) noexcept;

  // Prints "lifeboat: error: <source>: <field>: <message>" and records it.
  void report_error(const Error& e) noexcept;
  void report_errors(const Errors& errors) noexcept;

  BootStatus& status() noexcept { return status_; }

 private:
  sys::Sys& sys_;
  Log& log_;
  BootStatus& status_;
};

}  // namespace lifeboat
