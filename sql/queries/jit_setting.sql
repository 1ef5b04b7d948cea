-- The JIT setting of this session, restored after a bulk write.
SELECT current_setting('jit')
