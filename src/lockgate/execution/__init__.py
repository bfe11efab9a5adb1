"""Running code in other processes: sandboxes, import worker, pytest batches, reaper."""
