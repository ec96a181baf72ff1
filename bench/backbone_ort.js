// bench/backbone_ort.js - images/s of the same ONNX file on onnxruntime
// (npm onnxruntime-node, CPU):  node backbone_ort.js MODEL BATCH THREADS SECONDS
// [W H [FRAME.f32...]]: the input BATCH x 3 x 112 x 112 of a fixed pattern, or
// W x H, taken in turn from the frames (raw floats, 3 x H x W) when given.
// ORT_DIR names the directory whose node_modules holds onnxruntime-node.
const path = require('path');
const ort = require(path.join(process.env.ORT_DIR || '/tmp/ortbench', 'node_modules', 'onnxruntime-node'));

async function main() {
	const [model, b, t, s, W, H, ...frames] = process.argv.slice(2);
	const batch = +b, secs = +s, w = +(W || 112), h = +(H || 112);
	const sess = await ort.InferenceSession.create(model, {
		intraOpNumThreads: +t, interOpNumThreads: 1, executionMode: 'sequential',
		graphOptimizationLevel: 'all' });
	const x = new Float32Array(batch * 3 * h * w);
	for (let i = 0; i < x.length; i++)
		x[i] = ((i * 7919) % 255) / 127.5 - 1;
	const inputs = frames.length ? frames.map((f) => {
		const d = require('fs').readFileSync(f);
		return new ort.Tensor('float32', new Float32Array(d.buffer, d.byteOffset, d.length / 4),
			[batch, 3, h, w]);
	}) : [new ort.Tensor('float32', x, [batch, 3, h, w])];
	const feeds = {};
	feeds[sess.inputNames[0]] = inputs[0];
	await sess.run(feeds);
	let reps = 0, t0 = process.hrtime.bigint(), el;
	do {
		feeds[sess.inputNames[0]] = inputs[reps % inputs.length];
		await sess.run(feeds);
		reps++;
		el = Number(process.hrtime.bigint() - t0) * 1e-9;
	} while (el < secs || reps < 2);
	console.log((reps * batch / el).toFixed(2));
}
main().catch((e) => { console.error('backbone_ort: ' + e); process.exit(1); });
