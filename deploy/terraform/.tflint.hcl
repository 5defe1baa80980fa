# The bundled Terraform ruleset needs no download; the AWS ruleset would, so CI can add it.
plugin "terraform" {
  enabled = true
  preset  = "recommended"
}
