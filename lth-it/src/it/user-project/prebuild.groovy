// Before the user's build: the README's Maven snippet ('Use it from Maven') must be this
// project's dependency block, the lines between '<!-- lth4j: begin -->' and '<!-- lth4j: end -->'
// of pom.xml after invoker filtering (so with this build's version), indentation aside.
// In README.md the snippet is the ```xml block right after the line
// '<!-- snippet: lth-it/src/it/user-project/pom.xml -->'.

def normalise = { List<String> lines ->
  def kept = lines.collect { it.replaceAll(/\s+$/, '') }
  while (kept && kept.first().isEmpty()) kept.remove(0)
  while (kept && kept.last().isEmpty()) kept.remove(kept.size() - 1)
  int indent = kept.findAll { !it.isEmpty() }.collect { it.length() - it.replaceAll(/^ +/, '').length() }.min() ?: 0
  kept.collect { it.isEmpty() ? it : it.substring(indent) }
}

def pomLines = new File(basedir, 'pom.xml').readLines('UTF-8')
int begin = pomLines.findIndexOf { it.trim() == '<!-- lth4j: begin -->' }
int end = pomLines.findIndexOf { it.trim() == '<!-- lth4j: end -->' }
assert begin >= 0 && end > begin : "pom.xml: no '<!-- lth4j: begin/end -->' block"
def fromPom = normalise(pomLines.subList(begin + 1, end))

def readme = new File(readmeFile)
def readmeLines = readme.readLines('UTF-8')
int marker = readmeLines.findIndexOf { it.trim() == '<!-- snippet: lth-it/src/it/user-project/pom.xml -->' }
assert marker >= 0 : "${readme}: no '<!-- snippet: lth-it/src/it/user-project/pom.xml -->' line"
assert readmeLines[marker + 1].trim() == '```xml' : "${readme}: the snippet marker must be followed by a ```xml block"
int close = (marker + 2..<readmeLines.size()).find { readmeLines[it].trim() == '```' }
assert close != null : "${readme}: the ```xml block after the snippet marker is not closed"
def fromReadme = normalise(readmeLines.subList(marker + 2, close))

if (fromPom != fromReadme) {
  int n = Math.max(fromPom.size(), fromReadme.size())
  int first = (0..<n).find { fromPom[it] != fromReadme[it] }
  println "README.md's Maven snippet differs from the user project's dependency block, first at snippet line ${first + 1}:"
  println "  README.md:  ${fromReadme[first]}"
  println "  pom.xml:    ${fromPom[first]}"
  println '--- the user project (after filtering) has:'
  fromPom.each { println it }
  return false
}
println "README.md's Maven snippet is the user project's dependency block (${fromPom.size()} lines)"
return true
