// ort_run.js MODEL DIR LIST - runs MODEL on onnxruntime-node (CPU, one
// thread) for each line "NAME W H" of the file LIST: input DIR/NAME.f32
// (raw floats, 1x3xHxW), outputs DIR/NAME.ort/K.f32 (output K in the
// model's order, raw floats).  ORT_DIR names the directory whose
// node_modules holds onnxruntime-node.
const path = require('path');
const fs = require('fs');
const ort = require(path.join(process.env.ORT_DIR || '/tmp/ortbench', 'node_modules',
	'onnxruntime-node'));

async function main() {
	const [model, dir, list] = process.argv.slice(2);
	const sess = await ort.InferenceSession.create(model, {
		intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
	for (const line of fs.readFileSync(list, 'utf8').split('\n')) {
		const [name, w, h] = line.trim().split(/\s+/);
		if (!name)
			continue;
		const b = fs.readFileSync(path.join(dir, name + '.f32'));
		const x = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
		const feeds = {};
		feeds[sess.inputNames[0]] = new ort.Tensor('float32', x, [1, 3, +h, +w]);
		const r = await sess.run(feeds);
		const out = path.join(dir, name + '.ort');
		fs.mkdirSync(out, { recursive: true });
		sess.outputNames.forEach((n, k) => fs.writeFileSync(path.join(out, k + '.f32'),
			Buffer.from(r[n].data.buffer, r[n].data.byteOffset, r[n].data.byteLength)));
	}
}
main().catch((e) => { console.error('ort_run: ' + e); process.exit(1); });
