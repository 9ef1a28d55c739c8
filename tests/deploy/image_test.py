"""Keeps the container image in step with scripts/dev.sh setup.

Both install from scripts/debian-packages.txt; this checks the Dockerfile
really reads that file for each stage, that the runtime stage's packages
provide every shared library feedbackd links (FEEDBACKD, from ctest), and
that those package names exist in Debian 12 as installed here.
"""
import os
import re
import subprocess
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FEEDBACKD = os.environ.get("FEEDBACKD", "")
# In every Debian image already.
ESSENTIAL = {"libc6", "libgcc-s1", "libstdc++6"}


def packages(group):
    with open(os.path.join(ROOT, "scripts", "debian-packages.txt")) as f:
        rows = [line.split() for line in f if line.strip() and not line.startswith("#")]
    return {p for g, p in rows if g == group}


class ImageTest(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(ROOT, "Dockerfile")) as f:
            self.dockerfile = f.read()
        self.stages = re.split(r"(?m)^FROM ", self.dockerfile)[1:]

    def test_stages_install_from_the_shared_package_list(self):
        self.assertEqual(len(self.stages), 2)
        build, runtime = self.stages
        self.assertTrue(build.startswith("debian:12 "))
        self.assertTrue(runtime.startswith("debian:12-slim "))
        for stage, group in ((build, "build"), (runtime, "image")):
            self.assertIn("COPY scripts/debian-packages.txt", stage)
            self.assertIn(f"""awk '$1 == "{group}" {{print $2}}'""", stage)
        self.assertNotRegex(self.dockerfile, r"apt-get install[^\n]*\b(lib|ca-)[a-z0-9+.-]+\b")

    def test_runtime_stage_is_non_root_with_feedbackd_as_entrypoint(self):
        runtime = self.stages[1]
        self.assertRegex(runtime, r"(?m)^USER 10001")
        self.assertIn('ENTRYPOINT ["/usr/local/bin/feedbackd"]', runtime)
        self.assertIn("--from=build /src/build/services/feedbackd/feedbackd", runtime)

    def test_image_packages_exist_and_are_installed_by_setup(self):
        for p in sorted(packages("image")):
            status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p],
                                    capture_output=True, text=True).stdout
            self.assertIn("install ok installed", status, p)

    @unittest.skipUnless(FEEDBACKD, "FEEDBACKD not set")
    def test_runtime_packages_provide_every_linked_library(self):
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]",
                            subprocess.run(["readelf", "-d", FEEDBACKD], capture_output=True,
                                           text=True).stdout)
        self.assertGreater(len(needed), 5)
        image = packages("image") | ESSENTIAL
        for lib in needed:
            owners = subprocess.run(["dpkg", "-S", f"*/{lib}"], capture_output=True,
                                    text=True).stdout
            owner_packages = {line.split(":")[0] for line in owners.splitlines() if line}
            self.assertTrue(owner_packages & image, f"{lib} comes from {owner_packages}")


if __name__ == "__main__":
    unittest.main()
