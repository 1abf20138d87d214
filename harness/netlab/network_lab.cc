#include "network_lab.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "output_file.h"
#include "qdisc_request.h"

namespace isotest {

namespace {

// The last bytes of a service's output kept in the result: enough for its last error messages.
constexpr std::size_t kServiceOutputTailBytes = 4096;

std::unique_ptr<ExecPlan> shell_plan(const SandboxSpec& spec, const std::string& command,
                                     char* const* environment,
                                     const std::string& working_directory) {
  SandboxSpec shell = spec;
  shell.command = {"/bin/sh", "-c", command};
  return std::make_unique<ExecPlan>(shell, environment, working_directory);
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
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
  std::unique_ptr<ExecPlan> exec;
  std::unique_ptr<ExecPlan> ready_exec;
  Pipe output;
  ServiceResult result;
};

NetworkLab::NetworkLab(const SandboxSpec& spec) : request_(spec.netlab) {
  active_ = request_.any();
  if (request_.capture_path.empty()) return;
  // Checked before the run, as the result file is: a capture that cannot be kept is not taken.
  resolve_output(request_.capture_path);
  capture_path_ = std::filesystem::absolute(request_.capture_path).lexically_normal().string();
}

NetworkLab::~NetworkLab() = default;

void NetworkLab::adjust(const SandboxSpec& spec, char* const* environment,
                        const std::string& working_directory) {
  if (!request_.capture_path.empty()) {
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
  if (request_.services.empty()) return;
  Pipe events = make_pipe();
  service_events_ = std::move(events.read_end);
  service_events_sandbox_ = std::move(events.write_end);
  set_nonblocking(service_events_.get());
  for (const auto& requested : request_.services) {
    auto service = std::make_unique<Service>();
    service->exec = shell_plan(spec, requested.command, environment, working_directory);
    if (requested.ready && requested.ready->tcp_port == 0) {
      service->ready_exec =
          shell_plan(spec, requested.ready->command, environment, working_directory);
    }
    service->output = make_pipe();
    set_nonblocking(service->output.read_end.get());
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
                                      .stop_grace_ms = spec.kill_after_ms,
                                      .events_fd = service_events_sandbox_.get(),
                                      .keep_capabilities = spec.map_root};
}

void NetworkLab::after_clone() {
  capture_channel_sandbox_.reset();
  service_events_sandbox_.reset();
  for (auto& service : services_) service->output.write_end.reset();
}

void NetworkLab::after_release() {
  if (capture_) capture_->receive(capture_channel_.get());
  capture_channel_.reset();
}

std::vector<int> NetworkLab::watched_fds() const {
  std::vector<int> fds;
  if (capture_ && capture_->fd() >= 0) fds.push_back(capture_->fd());
  if (service_events_.valid()) fds.push_back(service_events_.get());
  for (const auto& service : services_) {
    if (service->output.read_end.valid()) fds.push_back(service->output.read_end.get());
  }
  return fds;
}

void NetworkLab::on_ready(int fd) {
  if (capture_ && fd == capture_->fd()) {
    capture_->read_available();
    return;
  }
  if (fd == service_events_.get()) {
    read_service_events();
    return;
  }
  for (auto& service : services_) {
    if (fd != service->output.read_end.get()) continue;
    char buffer[16384];
    while (true) {
      const ssize_t got = ::read(fd, buffer, sizeof buffer);
      if (got > 0) {
        std::string& tail = service->result.output_tail;
        tail.append(buffer, static_cast<std::size_t>(got));
        if (tail.size() > kServiceOutputTailBytes) {
          tail.erase(0, tail.size() - kServiceOutputTailBytes);
        }
        continue;
      }
      if (got == 0 || (errno != EAGAIN && errno != EINTR)) service->output.read_end.reset();
      if (got < 0 && errno == EINTR) continue;
      return;
    }
  }
}

void NetworkLab::read_service_events() {
  ServiceEvent event;
  while (::read(service_events_.get(), &event, sizeof event) == sizeof event) {
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
          stop_ = HarnessKill{.reason = "service", .service = service.name};
        break;
      case ServiceEvent::stopped:
        record_wait_status(service, event.value);
        break;
    }
  }
}

std::optional<HarnessKill> NetworkLab::stop_request() {
  if (!stop_ || stop_reported_) return std::nullopt;
  stop_reported_ = true;
  return stop_;
}

void NetworkLab::drain() {
  if (service_events_.valid()) read_service_events();
  for (auto& service : services_) {
    if (service->output.read_end.valid()) on_ready(service->output.read_end.get());
  }
  if (capture_) capture_->finish();
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
  try {
    write_output(capture_path_, file.bytes());
  } catch (const SetupFailure& failure) {
    if (!result.error) result.error = failure.error();
  }
}

std::optional<SetupError> describe_network_lab_error(const ChildError& error) {
  const std::string_view stage = error.stage;
  constexpr std::string_view kService = "service ";
  constexpr std::string_view kQdisc = "network conditions: add qdisc ";
  if (stage.starts_with(kService)) {
    return SetupError{
        .stage = "service",
        .error_number = 0,
        .message = std::string(stage.substr(kService.size())),
        .hint =
            "the service's output is in the result's `services` (--json); check its command, "
            "or give it longer with --service-timeout"};
  }
  if (stage.starts_with(kQdisc) && error.error_number == ENOENT) {
    const std::string kind(stage.substr(kQdisc.size()));
    return SetupError{.stage = "network conditions",
                      .error_number = 0,
                      .message = "this kernel has no `" + kind + "` queueing discipline (module " +
                                 qdisc_module(kind) + ")",
                      .hint = qdisc_remedy(kind) + "; --net-rate alone needs only tbf"};
  }
  if (stage.starts_with("network conditions") || stage.starts_with("capture")) {
    return SetupError{.stage = std::string(stage),
                      .error_number = error.error_number,
                      .message = "could not set up the sandbox's network lab",
                      .hint = "`isotest doctor` checks what this machine allows"};
  }
  return std::nullopt;
}

}  // namespace isotest
