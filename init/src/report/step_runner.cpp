#include "report/step_runner.h"

#include <exception>

namespace lifeboat {

bool StepRunner::run_step(const std::string& name,
                          const std::function<void(StepContext&)>& fn) noexcept {
  const std::int64_t start = sys_.monotonic_ms();
  const std::int64_t cpu_start = sys_.cpu_us();
  StepContext ctx;
  try {
    fn(ctx);
  } catch (const std::exception& e) {
    try {
      ctx.fail(e.what());
    } catch (...) {
    }
  } catch (...) {
    try {
      ctx.fail("unknown exception");
    } catch (...) {
    }
  }
  try {
    StepRecord rec{name, ctx.result(), ctx.detail(), sys_.monotonic_ms() - start, start};
    const std::int64_t cpu_end = sys_.cpu_us();
    rec.cpu_us = cpu_start < 0 || cpu_end < 0 ? -1 : cpu_end - cpu_start;
    log_.line(step_line(rec));
    status_.steps.push_back(std::move(rec));
  } catch (...) {
    log_.line("step runner: out of memory");
  }
  return ctx.result() == StepResult::ok;
}

void StepRunner::report_error(const Error& e) noexcept {
  try {
    log_.line(error_line(e));
    status_.errors.push_back(e);
  } catch (...) {
  }
}

void StepRunner::report_errors(const Errors& errors) noexcept {
  for (const auto& e : errors) report_error(e);
}

}  // namespace lifeboat
