// The shared library of runpath_sample.cc: found by the loader only through the sample's RUNPATH.
extern "C" const char* isotest_runpath_greeting() {
  return "loaded through RUNPATH";
}
