// bench/e2e_ort.js - bench/e2e_reference.py's backbone on onnxruntime
// (npm onnxruntime-node; Debian's Python has no onnxruntime):
//   node e2e_ort.js MODEL PATCH_NODE GRID THREADS BATCH IN.f32 N APP.f32 PATCH.f32
// IN.f32 holds N images, 3 x 112 x 112 floats each, normalised; the model
// is run with PATCH_NODE added to its outputs (e2e_reference.py writes that
// model); writes the embeddings (N x Da) to APP.f32 and the patch map
// average-pooled to GRID x GRID as PyTorch's adaptive_avg_pool2d does
// (N x GRID*GRID x C, node-major) to PATCH.f32.
const fs = require('fs');
const path = require('path');
const ort = require(path.join(process.env.ORT_DIR || '/tmp/ortbench', 'node_modules', 'onnxruntime-node'));

function pool(map, C, H, W, G, out, o) {
	for (let gy = 0; gy < G; gy++) {
		const y0 = Math.floor(gy * H / G), y1 = Math.ceil((gy + 1) * H / G);
		for (let gx = 0; gx < G; gx++) {
			const x0 = Math.floor(gx * W / G), x1 = Math.ceil((gx + 1) * W / G);
			const k = 1 / ((y1 - y0) * (x1 - x0)), node = o + (gy * G + gx) * C;
			for (let c = 0; c < C; c++) {
				let s = 0;
				for (let y = y0; y < y1; y++)
					for (let x = x0; x < x1; x++)
						s += map[(c * H + y) * W + x];
				out[node + c] = s * k;
			}
		}
	}
}

async function main() {
	const [model, node, g, t, b, input, n, appOut, patchOut] = process.argv.slice(2);
	const G = +g, batch = +b, N = +n, img = 3 * 112 * 112;
	const sess = await ort.InferenceSession.create(model, {
		intraOpNumThreads: +t, interOpNumThreads: 1, executionMode: 'sequential',
		graphOptimizationLevel: 'all' });
	const emb = sess.outputNames.find((x) => x !== node);
	const fd = fs.openSync(input, 'r'), fa = fs.openSync(appOut, 'w'), fp = fs.openSync(patchOut, 'w');
	for (let i = 0; i < N; i += batch) {
		const m = Math.min(batch, N - i), buf = Buffer.alloc(m * img * 4);
		fs.readSync(fd, buf, 0, buf.length, i * img * 4);
		const x = new Float32Array(buf.buffer, buf.byteOffset, m * img);
		const r = await sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', x, [m, 3, 112, 112]) });
		const a = r[emb].data, p = r[node], [, C, H, W] = p.dims;
		const pooled = new Float32Array(m * G * G * C);
		for (let j = 0; j < m; j++)
			pool(p.data.subarray(j * C * H * W, (j + 1) * C * H * W), C, H, W, G, pooled, j * G * G * C);
		fs.writeSync(fa, Buffer.from(a.buffer, a.byteOffset, a.length * 4));
		fs.writeSync(fp, Buffer.from(pooled.buffer));
	}
	[fd, fa, fp].forEach((f) => fs.closeSync(f));
}
main().catch((e) => { console.error('e2e_ort.js: ' + e.message); process.exit(1); });
