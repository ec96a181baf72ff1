// bench/backbone_ort.js - images/s of the same ONNX file on onnxruntime
// (npm onnxruntime-node, CPU):  node backbone_ort.js MODEL BATCH THREADS SECONDS
// ORT_DIR names the directory whose node_modules holds onnxruntime-node.
const path = require('path');
const ort = require(path.join(process.env.ORT_DIR || '/tmp/ortbench', 'node_modules', 'onnxruntime-node'));

async function main() {
	const [model, b, t, s] = process.argv.slice(2);
	const batch = +b, secs = +s;
	const sess = await ort.InferenceSession.create(model, {
		intraOpNumThreads: +t, interOpNumThreads: 1, executionMode: 'sequential',
		graphOptimizationLevel: 'all' });
	const x = new Float32Array(batch * 3 * 112 * 112);
	for (let i = 0; i < x.length; i++)
		x[i] = ((i * 7919) % 255) / 127.5 - 1;
	const feeds = {};
	feeds[sess.inputNames[0]] = new ort.Tensor('float32', x, [batch, 3, 112, 112]);
	await sess.run(feeds);
	let reps = 0, t0 = process.hrtime.bigint(), el;
	do {
		await sess.run(feeds);
		reps++;
		el = Number(process.hrtime.bigint() - t0) * 1e-9;
	} while (el < secs || reps < 2);
	console.log((reps * batch / el).toFixed(2));
}
main().catch((e) => { console.error('backbone_ort: ' + e); process.exit(1); });
