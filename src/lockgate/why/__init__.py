"""Why a layer ran or would run: reasons, the run log, explain, fix."""
