// Owns one directory stream (opendir, fdopendir); closes it exactly once, on every path out of
// a listing, including an allocation that throws while names are collected.
#pragma once

#include <dirent.h>

#include <memory>

namespace isotest {

struct CloseDirectory {
  void operator()(DIR* directory) const { ::closedir(directory); }
};
using UniqueDir = std::unique_ptr<DIR, CloseDirectory>;

}  // namespace isotest
