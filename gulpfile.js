const { src, dest, series } = require('gulp');
const fs = require('node:fs');
const path = require('node:path');

function clean(done) {
	fs.rmSync(path.resolve('dist'), { recursive: true, force: true });
	done();
}

// tsc emits JavaScript only: icons and codex files travel beside their compiled node.
function copyNodeAssets() {
	return src(['nodes/**/*.{png,svg}', 'nodes/**/*.node.json'], { encoding: false }).pipe(dest('dist/nodes'));
}

function copyCredentialAssets() {
	return src('credentials/**/*.{png,svg}', { encoding: false, allowEmpty: true }).pipe(dest('dist/credentials'));
}

function copyTemplates() {
	return src('workflows-templates/**/*.json', { allowEmpty: true }).pipe(dest('dist/workflows-templates'));
}

exports.clean = clean;
exports['build:assets'] = series(copyNodeAssets, copyCredentialAssets, copyTemplates);
