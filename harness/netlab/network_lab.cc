#include "network_lab.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "artifacts_request.h"
#include "output_file.h"
#include "prepared_exec.h"
#include "qdisc_request.h"

namespace isotest {

namespace {

// The capture an earlier failed run left in the artifacts folder goes when this run passes, so
// that the folder shows the last run as its tmp/ and outputs/ do; only when the folder's marker
// says isotest wrote there, and only a regular file.
void remove_earlier_capture(const std::string& path) {
  if (!holds_artifacts_marker(std::filesystem::path(path).parent_path().string())) return;
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode)) ::unlink(path.c_str());
}

// The last bytes of a service's output kept in the result: enough for its last error messages.
constexpr std::size_t kServiceOutputTailBytes = 4096;

// `sh -c COMMAND` with the test's environment and working directory.
std::unique_ptr<PreparedExec> shell_plan(const ExecPlan& test, const std::string& command) {
  ExecPlan shell = test;
  shell.argv = {"/bin/sh", "-c", command};
  shell.candidates = {"/bin/sh"};
  return std::make_unique<PreparedExec>(std::move(shell));
}

void record_wait_status(ServiceResult& service, int status) {
  if (WIFSIGNALED(status)) {
    service.signal = WTERMSIG(status);
  } else {
    service.exit_code = WEXITSTATUS(status);
  }
}

}  // namespace

struct NetworkLab::Service {
  std::unique_ptr<PreparedExec> exec;
  std::unique_ptr<PreparedExec> ready_exec;
  Pipe output;
  ServiceResult result;
};

NetworkLab::NetworkLab(NetLabRequest request) : request_(std::move(request)) {}

NetworkLab::~NetworkLab() = default;

void NetworkLab::adjust(LaunchPlan& plan) {
  if (!request_.capture_path.empty()) {
    // Checked before the run, as the result file is: a capture that cannot be kept is not taken.
    // The artifacts folder of `--capture on-failure` was checked with the artifacts request, and
    // is made only when something is kept.
    if (!request_.capture_on_failure) resolve_output(request_.capture_path);
    capture_path_ = std::filesystem::absolute(request_.capture_path).lexically_normal().string();
    int ends[2] = {-1, -1};
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
      throw_errno("capture", "socketpair for the capture socket");
    }
    capture_channel_.reset(ends[0]);
    capture_channel_sandbox_.reset(ends[1]);
    sandbox_plan_.capture_channel = ends[1];
    capture_.emplace(request_.capture_limit_bytes);
  }
  if (request_.conditions.any()) {
    QdiscRequest qdisc = build_qdisc_request(request_.conditions);
    qdisc_kind_ = qdisc.kind;
    qdisc_request_ = std::move(qdisc.message);
    sandbox_plan_.qdisc_request = qdisc_request_.data();
    sandbox_plan_.qdisc_request_bytes = qdisc_request_.size();
    sandbox_plan_.qdisc_kind = qdisc_kind_.c_str();
  }
  if (capture_ || !qdisc_request_.empty()) {
    plan.sandbox_steps.push_back(SandboxStep{.phase = SandboxStepPhase::before_release,
                                             .run = set_up_network_lab,
                                             .context = &sandbox_plan_});
  }
  if (request_.services.empty()) return;
  Pipe events = make_pipe();
  service_events_ = std::move(events.read_end);
  service_events_sandbox_ = std::move(events.write_end);
  set_nonblocking(service_events_.get(), "service");
  for (const auto& requested : request_.services) {
    auto service = std::make_unique<Service>();
    service->exec = shell_plan(plan.exec, requested.command);
    if (requested.ready && requested.ready->tcp_port == 0) {
      service->ready_exec = shell_plan(plan.exec, requested.ready->command);
    }
    service->output = make_pipe();
    set_nonblocking(service->output.read_end.get(), "service");
    service->result.name = requested.name;
    service->result.command = requested.command;
    service->result.ready = !requested.ready;  // nothing to wait for
    services_.push_back(std::move(service));
  }
  for (std::size_t i = 0; i < services_.size(); ++i) {
    const auto& requested = request_.services[i];
    sandbox_service_list_.push_back(
        SandboxService{.name = requested.name.c_str(),
                       .exec = services_[i]->exec.get(),
                       .ready_exec = services_[i]->ready_exec.get(),
                       .ready_port = requested.ready ? requested.ready->tcp_port : std::uint16_t{0},
                       .output_fd = services_[i]->output.write_end.get()});
  }
  sandbox_services_ = SandboxServices{.list = sandbox_service_list_.data(),
                                      .count = static_cast<int>(sandbox_service_list_.size()),
                                      .ready_timeout_ms = request_.service_timeout_ms,
                                      .stop_grace_ms = plan.supervision.kill_after_ms,
                                      .events_fd = service_events_sandbox_.get(),
                                      .keep_capabilities = plan.keep_capabilities};
  plan.sandbox_steps.push_back(SandboxStep{.phase = SandboxStepPhase::before_test,
                                           .run = start_services,
                                           .reaped = note_service_exit,
                                           .test_ended = stop_services,
                                           .context = &sandbox_services_});
}

void NetworkLab::watch(FdWatchList& fds) {
  capture_channel_sandbox_.reset();
  service_events_sandbox_.reset();
  for (auto& service : services_) service->output.write_end.reset();
  // The sandbox sent the socket before its go, or failed and closed its end (it reports why).
  if (capture_) capture_->receive(capture_channel_.get());
  capture_channel_.reset();
  if (capture_ && capture_->fd() >= 0) {
    fds.push_back(WatchedFd{.fd = capture_->fd(), .on_readable = [this] {
                              capture_->read_available();
                              return capture_->fd() >= 0;  // closed at the cap
                            }});
  }
  if (service_events_.valid()) {
    fds.push_back(WatchedFd{.fd = service_events_.get(),
                            .on_readable = [this] { return read_service_events(); }});
  }
  for (auto& service : services_) {
    Service* watched = service.get();
    fds.push_back(WatchedFd{.fd = service->output.read_end.get(),
                            .on_readable = [watched] { return read_service_output(*watched); }});
  }
}

bool NetworkLab::read_service_output(Service& service) {
  char buffer[16384];
  while (true) {
    const ssize_t got = ::read(service.output.read_end.get(), buffer, sizeof buffer);
    if (got > 0) {
      std::string& tail = service.result.output_tail;
      tail.append(buffer, static_cast<std::size_t>(got));
      if (tail.size() > kServiceOutputTailBytes) {
        tail.erase(0, tail.size() - kServiceOutputTailBytes);
      }
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got == 0 || errno != EAGAIN) {
      service.output.read_end.reset();
      return false;
    }
    return true;
  }
}

bool NetworkLab::read_service_events() {
  ServiceEvent event;
  ssize_t got = 0;
  while ((got = ::read(service_events_.get(), &event, sizeof event)) == sizeof event) {
    if (event.index < 0 || static_cast<std::size_t>(event.index) >= services_.size()) continue;
    ServiceResult& service = services_[static_cast<std::size_t>(event.index)]->result;
    switch (event.kind) {
      case ServiceEvent::started:
        service.pid = event.value;
        break;
      case ServiceEvent::ready:
        service.ready = true;
        service.ready_ms = event.ms;
        break;
      case ServiceEvent::exited_early:
        service.status = "exited";
        record_wait_status(service, event.value);
        // Once the test runs without it, it can only fail or hang: stop it now. (One that
        // never got ready ends the run through init's own report.)
        if (service.ready && !stop_)
          stop_ = HarnessKill{.reason = KillReason::service, .service = service.name};
        break;
      case ServiceEvent::stopped:
        record_wait_status(service, event.value);
        break;
    }
  }
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  service_events_.reset();  // end of file: init is gone
  return false;
}

std::optional<HarnessKill> NetworkLab::stop_request() {
  if (!stop_ || stop_reported_) return std::nullopt;
  stop_reported_ = true;
  return stop_;
}

void NetworkLab::finish(RunResult& result) {
  if (request_.conditions.any()) result.network_conditions = request_.conditions;
  for (const auto& service : services_) result.services.push_back(service->result);
  if (!capture_) return;
  capture_->finish();
  const PcapFile& file = capture_->file();
  result.capture = CaptureResult{.path = capture_path_,
                                 .format = "pcap",
                                 .packets = file.packets(),
                                 .bytes = file.bytes().size(),
                                 .truncated = file.truncated(),
                                 .limit_bytes = request_.capture_limit_bytes,
                                 .dropped = capture_->dropped()};
  if (request_.capture_on_failure && !!is_good(result.status)) {
    result.capture->kept = false;
    remove_earlier_capture(capture_path_);
    return;
  }
  try {
    if (request_.capture_on_failure) {
      const std::filesystem::path path(capture_path_);
      write_kept_file(path.parent_path().string(), path.filename().string(), file.bytes());
    } else {
      write_output(capture_path_, file.bytes());
    }
  } catch (const SetupFailure& failure) {
    if (result.error) return;
    // A capture that could not be kept fails the run as a setup error would have.
    result.error = failure.error();
    classify(result);
  }
}

std::optional<SetupError> NetworkLab::explain(const ChildError& error) const {
  const std::string detail = error.detail;
  switch (error.step) {
    case SetupStage::service:
      return SetupError{
          .stage = std::string(setup_stage_name(SetupStage::service)),
          .error_number = 0,
          .message = detail,
          .hint =
              "the service's output is in the result's `services` (--json); check its command, "
              "or give it longer with --service-timeout",
          .step = SetupStage::service};
    case SetupStage::add_qdisc:
      if (error.error_number == ENOENT) {
        return SetupError{.stage = "network conditions",
                          .error_number = 0,
                          .message = "this kernel has no `" + detail +
                                     "` queueing discipline (module " + qdisc_module(detail) + ")",
                          .hint = qdisc_remedy(detail) + "; --net-rate alone needs only tbf",
                          .step = SetupStage::add_qdisc};
      }
      [[fallthrough]];
    case SetupStage::network_netlink_socket:
    case SetupStage::open_packet_socket:
    case SetupStage::hand_over_packet_socket:
      return SetupError{.stage = child_error_stage_text(error),
                        .error_number = error.error_number,
                        .message = "could not set up the sandbox's network lab",
                        .hint = "`isotest doctor` checks what this machine allows",
                        .step = error.step};
    default:  // not one of the network lab's steps
      return std::nullopt;
  }
}

}  // namespace isotest
