"""sampling.py - which T frames of a clip arpg-train takes: train/data.c's
sample_frames and the splitmix64 generator of train/layers.c, ported so that
the same seed gives the same frames."""
import math

MASK = (1 << 64) - 1


class SplitMix64:
    """train/layers.c's rng_next and rng_uniform: a state of 64 bits."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        """Uniform in [0, 1), 53 bits."""
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)


def sample_frames(clip_T, T, jitter=False, rng=None):
    """T of a clip's clip_T frames (a list of T ascending indices): T equal
    segments of the clip; without jitter the middle frame of each, with
    jitter a uniform random frame of each, drawn from rng (a SplitMix64, or
    anything with uniform()).  A clip shorter than T repeats frames.  The
    arithmetic is the C code's, in doubles."""
    if clip_T < 1 or T < 1:
        raise ValueError("sample_frames: clip_T %d and T %d must be positive" % (clip_T, T))
    if jitter and rng is None:
        raise ValueError("sample_frames: jitter needs rng")
    idx = []
    for i in range(T):
        u = rng.uniform() if jitter else 0.5
        k = int(math.floor((i + u) * clip_T / T))
        idx.append(k if k < clip_T else clip_T - 1)
    return idx
