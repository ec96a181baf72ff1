/* le.h - little-endian integers in byte buffers, for the binary formats
 * (tensor records, checkpoints): written and read field by field, never as
 * a raw struct, so files are the same on every machine.
 */
#ifndef ARPG_LE_H
#define ARPG_LE_H

#include <stdint.h>

static inline void arpg_le16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline uint16_t arpg_le16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline void arpg_le32_put(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t arpg_le32_get(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void arpg_le64_put(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t arpg_le64_get(const uint8_t *p)
{
	return (uint64_t)arpg_le32_get(p) | (uint64_t)arpg_le32_get(p + 4) << 32;
}

#endif
