// Umbrella header: the whole C++ client of the core ↔ overlay IPC protocol (ipc-protocol/src is the spec).
#pragma once

#include "bytes.hpp"
#include "catalogue.hpp"
#include "client.hpp"
#include "codec.hpp"
#include "constants.hpp"
#include "errors.hpp"
#include "framing.hpp"
#include "handshake.hpp"
#include "messages.hpp"
#include "payloads.hpp"
#include "sha256.hpp"
#include "verdicts.hpp"
