// Fixture for the layering test: one allowed include (os/) and one forbidden (core/).
#include "os/code.hpp"
#include "core/patch.hpp"
