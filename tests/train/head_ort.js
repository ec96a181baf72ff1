// head_ort.js MODEL OFFSET CLIPDIR... - runs an ARPGNet head exported by
// arpg-train --export-onnx on onnxruntime-node (CPU, one thread), the
// clips as one batch: CLIPDIR/app.npy (T, Da) and CLIPDIR/patch.npy
// (T, nodes, Dp) as arpg-features dump --npy writes them; the model's N
// patch nodes are nodes OFFSET..OFFSET+N-1 (a cache of several grids
// stores them grid after grid).  Prints a line per clip: the logits, then
// the probabilities, tab-separated.  ORT_DIR names the directory whose
// node_modules holds onnxruntime-node.
const path = require('path');
const fs = require('fs');
const ort = require(path.join(process.env.ORT_DIR || '/tmp/ortbench', 'node_modules',
	'onnxruntime-node'));

// A float32 .npy file (version 1.0, little-endian, C order): shape and data.
function readNpy(file) {
	const b = fs.readFileSync(file);
	if (b.toString('latin1', 1, 6) !== 'NUMPY')
		throw new Error(file + ': not a .npy file');
	const hlen = b.readUInt16LE(8), header = b.toString('latin1', 10, 10 + hlen);
	if (!header.includes("'<f4'"))
		throw new Error(file + ': not float32');
	const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',')
		.filter((s) => s.trim()).map(Number);
	const data = new Float32Array(b.buffer.slice(b.byteOffset + 10 + hlen, b.byteOffset + b.length));
	return { shape, data };
}

async function main() {
	const [model, offArg, ...clips] = process.argv.slice(2);
	const off = +offArg;
	const sess = await ort.InferenceSession.create(model, {
		intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
	const feeds = {};
	for (const input of sess.inputNames) {
		const parts = clips.map((d) => readNpy(path.join(d, input + '.npy')));
		const [T] = parts[0].shape;
		let shape, rows;
		if (input === 'app') {
			shape = [clips.length, T, parts[0].shape[1]];
			rows = parts.map((p) => p.data);
		} else {
			// the model's N: its input's declared shape is [B, T, N, Dp]
			const meta = sess.inputMetadata ? sess.inputMetadata.find((m) => m.name === input) : null;
			const N = meta && meta.shape ? meta.shape[2] : parts[0].shape[1] - off;
			const Dp = parts[0].shape[2], all = parts[0].shape[1];
			shape = [clips.length, T, N, Dp];
			rows = parts.map((p) => {
				const r = new Float32Array(T * N * Dp);
				for (let t = 0; t < T; t++)
					r.set(p.data.subarray((t * all + off) * Dp, (t * all + off + N) * Dp),
						t * N * Dp);
				return r;
			});
		}
		const x = new Float32Array(rows.reduce((s, r) => s + r.length, 0));
		rows.reduce((o, r) => (x.set(r, o), o + r.length), 0);
		feeds[input] = new ort.Tensor('float32', x, shape);
	}
	const r = await sess.run(feeds);
	const lg = r.logits, pr = r.probabilities, C = lg.dims[1];
	for (let b = 0; b < clips.length; b++) {
		const row = [];
		for (let j = 0; j < C; j++)
			row.push(lg.data[b * C + j].toPrecision(9));
		for (let j = 0; j < C; j++)
			row.push(pr.data[b * C + j].toPrecision(9));
		console.log(row.join('\t'));
	}
}
main().catch((e) => { console.error('head_ort: ' + e); process.exit(1); });
