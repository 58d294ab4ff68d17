// Placeholder until the server lands.
#include "autoglm/dashboard.h"
#include "dashboard/assets.h"
