-- JIT back to what it was before a bulk write.
SELECT set_config('jit', :jit, true)
