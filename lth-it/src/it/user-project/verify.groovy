// After the user's build: its class paths are clean, and its program runs offline and writes a
// complete run directory.
import java.util.concurrent.TimeUnit

File target = new File(basedir, 'target')
def classPath = { String name ->
  def text = new File(target, name).getText('UTF-8').trim()
  text.isEmpty() ? [] : text.split(File.pathSeparator) as List
}
def compileCp = classPath('compile-classpath.txt')
def runtimeCp = classPath('runtime-classpath.txt')
def repo = localRepositoryPath.canonicalPath
def coordinates = { String jar -> jar.startsWith(repo) ? jar.substring(repo.length()) : jar }

println '--- the user project\'s dependency tree:'
println new File(target, 'dependency-tree.txt').getText('UTF-8')

// A library must not put these on its users' class path (paths in the local repository).
def banned = [
    '/junit/': 'JUnit', '/org/opentest4j/': 'a test framework', '/org/assertj/': 'AssertJ',
    '/org/mockito/': 'Mockito', '/org/hamcrest/': 'Hamcrest', '/org/testng/': 'TestNG',
    '/org/apache/pdfbox/': 'PDFBox', '/de/rototor/': 'PDFBox Graphics2D',
    '/de/erichseifert/': 'VectorGraphics2D', '/com/madgag/': 'a GIF encoder',
    '/commons-logging/': 'a second logging API', '/ch/qos/logback/': 'a second logging implementation',
    '/org/apache/logging/log4j/': 'a second logging implementation',
    '/org/slf4j/slf4j-nop/': 'a second SLF4J binding']
def problems = []
[compile: compileCp, runtime: runtimeCp].each { scope, cp ->
  cp.each { jar ->
    banned.each { path, what ->
      if (coordinates(jar).contains(path)) problems << "${what} on the ${scope} class path: ${jar}"
    }
  }
}
// The native library and the logging binding are runtime-only choices of the user.
compileCp.findAll { it.contains('/pytorch-native-') || it.contains('/slf4j-simple/') }.each {
  problems << "runtime-only artifact on the compile class path: ${it}"
}
['/io/github/lth/lth-core/', '/io/github/lth/lth-djl/', '/ai/djl/api/', '/org/knowm/xchart/'].each { path ->
  if (!compileCp.any { coordinates(it).contains(path) }) problems << "compile class path lacks ${path}"
}
['/ai/djl/pytorch/pytorch-native-cpu/', '/org/slf4j/slf4j-simple/'].each { path ->
  if (!runtimeCp.any { coordinates(it).contains(path) }) problems << "runtime class path lacks ${path}"
}
// The BOM must pin the native library that lth-djl's PyTorch JNI is built for.
def nativeJar = "pytorch-native-cpu-${pytorchNativeVersion}-linux-x86_64.jar"
if (!runtimeCp.any { new File(it).name == nativeJar }) {
  problems << "runtime class path lacks ${nativeJar} (the BOM's pytorch-native-cpu version differs from lth4j-parent's pytorch.native.version?)"
}
if (problems) {
  problems.each { println "PROBLEM: ${it}" }
  return false
}
println "class paths clean: ${compileCp.size()} jars at compile time, ${runtimeCp.size()} at run time"

// Run the user's program as a user would, offline: DJL must find libtorch in the jar on the class
// path and download nothing.
File runDirectory = new File(target, 'run')
File runLog = new File(target, 'run.log')
def command = [new File(System.getProperty('java.home'), 'bin/java').path,
    '-Dai.djl.offline=true',
    '-cp', ([new File(target, 'classes').path] + runtimeCp).join(File.pathSeparator),
    'com.example.MyTickets', runDirectory.path]
def process = new ProcessBuilder(command).directory(basedir).redirectErrorStream(true)
    .redirectOutput(runLog).start()
if (!process.waitFor(300, TimeUnit.SECONDS)) {
  process.destroyForcibly()
  println runLog.getText('UTF-8')
  println 'PROBLEM: the program did not finish within 300 s'
  return false
}
println '--- the program\'s output:'
println runLog.getText('UTF-8')
if (process.exitValue() != 0) {
  println "PROBLEM: the program exited with ${process.exitValue()}"
  return false
}

def expected = ['config.json', 'results.csv', 'summary.json', 'curve.png'] +
    (0..2).collect { String.format('round-%02d/mask.npz', it) }
def missing = expected.findAll { !new File(runDirectory, it).isFile() }
if (missing) {
  println "PROBLEM: the run directory ${runDirectory} lacks ${missing}"
  return false
}
def rows = new File(runDirectory, 'results.csv').readLines('UTF-8').findAll { !it.isBlank() }
if (rows.size() != 4) {
  println "PROBLEM: results.csv should hold a header and 3 rounds, has ${rows.size()} lines"
  return false
}
byte[] png = new File(runDirectory, 'curve.png').bytes
if (png.length < 8 || png[0] != (byte) 0x89 || png[1] != (byte) 'P' || png[2] != (byte) 'N' || png[3] != (byte) 'G') {
  println 'PROBLEM: curve.png is not a PNG'
  return false
}
println "run directory complete: ${expected.join(', ')}"
return true
