// dlib_ref.cpp - the reference for tests/face/test_shape_dlib.sh and
// bench/face_landmarks.sh: dlib's own shape_predictor on the same boxes.
//
//   dlib_ref MODEL.dat < LIST        LIST lines: IMAGE.ppm X Y W H
// prints, per line, the 68 (or P) landmarks "x0 y0 x1 y1 ..." as dlib gives
// them (integer points), the box taken as rectangle(X, Y, X+W-1, Y+H-1) on
// the RGB image (dlib reads grey as (R+G+B)/3).
//   dlib_ref --bench MODEL.dat SECONDS < LIST
// instead runs the predictor over the list for SECONDS and prints
// "predictions/s N".
//   dlib_ref --stream MODEL.dat
// answers each line as it comes, flushed (bench/e2e_reference.py's
// landmarks: Debian has no dlib for Python); a bad image is an empty line.
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/serialize.h>
#include <dlib/array2d.h>
#include <dlib/pixel.h>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

static bool read_ppm(const std::string &path, dlib::array2d<dlib::rgb_pixel> &img)
{
	std::ifstream f(path, std::ios::binary);
	std::string magic;
	int w, h, maxv;
	if (!(f >> magic >> w >> h >> maxv) || magic != "P6" || maxv != 255)
		return false;
	f.get();
	std::vector<unsigned char> buf((size_t)w * h * 3);
	if (!f.read((char *)buf.data(), (std::streamsize)buf.size()))
		return false;
	img.set_size(h, w);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			const unsigned char *p = &buf[((size_t)y * w + x) * 3];
			img[y][x] = dlib::rgb_pixel(p[0], p[1], p[2]);
		}
	return true;
}

struct job {
	std::string path;
	long x, y, w, h;
};

static void print_parts(const dlib::full_object_detection &d)
{
	for (unsigned long k = 0; k < d.num_parts(); k++)
		printf("%s%ld %ld", k ? " " : "", d.part(k).x(), d.part(k).y());
	printf("\n");
}

int main(int argc, char **argv)
{
	bool bench = argc == 4 && !strcmp(argv[1], "--bench");
	bool stream = argc == 3 && !strcmp(argv[1], "--stream");
	if (argc != 2 && !bench && !stream) {
		std::cerr << "usage: dlib_ref [--bench|--stream] MODEL.dat [SECONDS] < LIST\n";
		return 2;
	}
	dlib::shape_predictor sp;
	try {
		dlib::deserialize(bench || stream ? argv[2] : argv[1]) >> sp;
	} catch (std::exception &e) {
		std::cerr << "dlib_ref: " << e.what() << "\n";
		return 1;
	}
	std::vector<job> jobs;
	std::string line;
	if (stream) {
		dlib::array2d<dlib::rgb_pixel> img;
		job j;
		while (std::getline(std::cin, line)) {
			std::istringstream ls(line);
			if (ls >> j.path >> j.x >> j.y >> j.w >> j.h && read_ppm(j.path, img))
				print_parts(sp(img, dlib::rectangle(j.x, j.y, j.x + j.w - 1,
								    j.y + j.h - 1)));
			else
				printf("\n");
			fflush(stdout);
		}
		return 0;
	}
	while (std::getline(std::cin, line)) {
		std::istringstream ls(line);
		job j;
		if (ls >> j.path >> j.x >> j.y >> j.w >> j.h)
			jobs.push_back(j);
	}
	std::map<std::string, dlib::array2d<dlib::rgb_pixel>> imgs;
	for (const job &j : jobs)
		if (!imgs.count(j.path) && !read_ppm(j.path, imgs[j.path])) {
			std::cerr << "dlib_ref: " << j.path << ": not a P6 PPM\n";
			return 1;
		}
	if (bench) {
		/* process CPU time, as face_tool bench: fair on a shared machine */
		double secs = atof(argv[3]);
		long n = 0;
		std::clock_t t0 = std::clock();
		double el = 0;
		do {
			for (const job &j : jobs) {
				dlib::rectangle r(j.x, j.y, j.x + j.w - 1, j.y + j.h - 1);
				dlib::full_object_detection d = sp(imgs[j.path], r);
				n += d.num_parts() > 0;
			}
			el = (double)(std::clock() - t0) / CLOCKS_PER_SEC;
		} while (el < secs);
		printf("predictions/s %.1f\n", n / el);
		return 0;
	}
	for (const job &j : jobs) {
		dlib::rectangle r(j.x, j.y, j.x + j.w - 1, j.y + j.h - 1);
		print_parts(sp(imgs[j.path], r));
	}
	return 0;
}
